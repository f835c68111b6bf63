CREATE FUNCTION invoice_total(p_owner bigint) RETURNS numeric
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT coalesce(sum(amount), 0) FROM invoices WHERE owner_id = p_owner);
CREATE OR REPLACE PROCEDURE close_account(p_id bigint) LANGUAGE plpgsql AS $$
BEGIN
    UPDATE accounts SET state = 'deleted' WHERE id = p_id;
END
$$;
ALTER FUNCTION invoice_total(bigint) SECURITY INVOKER;
ALTER PROCEDURE close_account(bigint) SET search_path = public;
CREATE AGGREGATE array_cat_agg (anycompatiblearray) (SFUNC = array_cat, STYPE = anycompatiblearray);
CREATE CAST (account_state AS text) WITH INOUT AS IMPLICIT;
