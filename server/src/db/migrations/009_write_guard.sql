-- rpm_write_guard: a precondition of a write sent as one statement (db/statementBatch.ts, StatementBatch.addGuard).
--
-- A create outside a transaction is written by one autocommitted statement instead of BEGIN, its checks, the write
-- and COMMIT (four round trips). Its checks (the reference targets exist, the cached Subscriptions are current) go in
-- the same statement as guards, read in the write's own snapshot. When one does not hold, this raises and the whole
-- statement, writes included, is undone; the server then takes the ordinary transactional path, which gives the
-- client its usual answer.
CREATE OR REPLACE FUNCTION rpm_write_guard(holds boolean) RETURNS boolean
  LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE AS $$
BEGIN
  IF holds IS NOT TRUE THEN
    RAISE EXCEPTION 'a precondition of this write no longer holds' USING ERRCODE = 'RPM01';
  END IF;
  RETURN true;
END
$$;
