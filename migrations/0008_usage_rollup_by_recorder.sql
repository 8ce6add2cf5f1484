-- The usage rollups are now kept by the writers of usage_events (src/usage/write-usage-batch.ts
-- sums each batch and upserts one row per group, in the batch's transaction; pruneUsage subtracts
-- each chunk in its own): the per-row triggers cost a group commit more than the rest of its write.
-- The UPDATE trigger stays: events remain append-only.
DROP TRIGGER `usage_events_rollup_insert`;
--> statement-breakpoint
DROP TRIGGER `usage_events_rollup_delete`;
