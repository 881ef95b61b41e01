-- Checkpoints made before version 2 keep verifying under their own format: the version column
-- added with default 1 marks them explicitly, and their full head lists stay as they are. The
-- first version-2 checkpoint lists every head (it starts the Merkle tree); later ones list only
-- the heads that changed.
-- The service role maintains the leaves cache in the checkpoint's transaction.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'appraisal_app') THEN
    GRANT SELECT, INSERT, UPDATE, DELETE ON audit_merkle_leaves TO appraisal_app;
  END IF;
END;
$$;
