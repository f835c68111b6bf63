-- Routines taking a VARIADIC list: PostgreSQL's library reads PL/pgSQL without a catalog and
-- refuses every VARIADIC parameter but anyarray's ("VARIADIC parameter must be an array"),
-- though the server accepts any array type (Logto's check_application_type).
CREATE TYPE application_type AS ENUM ('Native', 'SPA', 'Traditional', 'MachineToMachine');
CREATE TABLE applications (
    id varchar(21) PRIMARY KEY,
    type application_type NOT NULL
);
CREATE FUNCTION check_application_type(
    application_id varchar(21),
    VARIADIC target_type application_type[]
) RETURNS boolean AS
$$ BEGIN
    RETURN (SELECT type FROM applications WHERE id = application_id) = ANY(target_type);
END; $$ LANGUAGE plpgsql SET search_path = public;
CREATE FUNCTION first_present(VARIADIC candidates
    text[]) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    c text;
BEGIN
    FOREACH c IN ARRAY candidates LOOP
        IF c IS NOT NULL AND c <> '' THEN
            RETURN c;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
CREATE FUNCTION same_as_any(x anycompatible, VARIADIC others anycompatiblearray)
    RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN x = ANY(others);
END
$$;
