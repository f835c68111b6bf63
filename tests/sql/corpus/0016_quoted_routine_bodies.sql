-- Routines written before dollar quoting (as GNUmed's history still writes them): the body
-- in '...' with its quotes doubled, the language named as a string, types of the
-- application's own schemas.
CREATE SCHEMA ref;
CREATE SCHEMA clin;
CREATE TABLE ref.auto_hints (pk bigint PRIMARY KEY, title text, query text, is_active boolean);
CREATE VIEW ref.v_auto_hints AS SELECT pk AS pk_auto_hint, title, query, is_active FROM ref.auto_hints;
CREATE TYPE clin.hint_state AS ENUM ('applies', 'suppressed');
CREATE FUNCTION clin.get_hints(IN _pk_identity integer)
    RETURNS SETOF ref.v_auto_hints
    LANGUAGE 'plpgsql'
    AS '
DECLARE
    _hint ref.v_auto_hints%rowtype;
    _state clin.hint_state;
    _query text;
BEGIN
    FOR _hint IN SELECT * FROM ref.v_auto_hints WHERE is_active LOOP
        _query := replace(_hint.query, ''ID_ACTIVE_PATIENT'', _pk_identity::text);
        _state := ''applies'';
        RAISE NOTICE ''hint %: it''''s %'', _hint.title, _state;
        RETURN NEXT _hint;
    END LOOP;
    RETURN;
END;';
CREATE FUNCTION clin.state_of(_title text) RETURNS clin.hint_state
    LANGUAGE 'plpgsql' STABLE
    AS '
DECLARE
    _s clin.hint_state;
BEGIN
    SELECT ''applies''::clin.hint_state INTO _s;
    RETURN _s;
END;';
