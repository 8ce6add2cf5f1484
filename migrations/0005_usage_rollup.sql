CREATE TABLE `usage_latency_hourly` (
	`hour` integer NOT NULL,
	`scope` text NOT NULL,
	`outcome` text NOT NULL,
	`bucket` integer NOT NULL,
	`calls` integer NOT NULL,
	PRIMARY KEY(`scope`, `hour`, `outcome`, `bucket`)
);
--> statement-breakpoint
CREATE TABLE `usage_rollup_daily` (
	`day` integer NOT NULL,
	`tenant_id` text NOT NULL,
	`tool` text NOT NULL,
	`outcome` text NOT NULL,
	`calls` integer NOT NULL,
	`duration_ms_sum` integer NOT NULL,
	PRIMARY KEY(`day`, `tenant_id`, `tool`, `outcome`)
);

--> statement-breakpoint
-- Backfill from the events already recorded, then keep both rollups exact with triggers (their
-- duration bucket CASE comes from src/usage/duration-bucket.ts): they run
-- in the transaction of the INSERT or DELETE on usage_events, so a batch and its rollup commit together.
INSERT INTO `usage_rollup_daily` (`day`, `tenant_id`, `tool`, `outcome`, `calls`, `duration_ms_sum`)
SELECT `at` / 86400000, coalesce(`tenant_id`, ''), coalesce(`tool`, ''), `outcome`, count(*), sum(`duration_ms`)
FROM `usage_events` GROUP BY 1, 2, 3, 4;
--> statement-breakpoint
INSERT INTO `usage_latency_hourly` (`hour`, `scope`, `outcome`, `bucket`, `calls`)
SELECT `at` / 3600000, coalesce(`tenant_id`, ''), `outcome`, (case when duration_ms < 16 then max(duration_ms, 0) when duration_ms < 32 then 8 + (duration_ms >> 1) when duration_ms < 64 then 16 + (duration_ms >> 2) when duration_ms < 128 then 24 + (duration_ms >> 3) when duration_ms < 256 then 32 + (duration_ms >> 4) when duration_ms < 512 then 40 + (duration_ms >> 5) when duration_ms < 1024 then 48 + (duration_ms >> 6) when duration_ms < 2048 then 56 + (duration_ms >> 7) when duration_ms < 4096 then 64 + (duration_ms >> 8) when duration_ms < 8192 then 72 + (duration_ms >> 9) when duration_ms < 16384 then 80 + (duration_ms >> 10) when duration_ms < 32768 then 88 + (duration_ms >> 11) when duration_ms < 65536 then 96 + (duration_ms >> 12) when duration_ms < 131072 then 104 + (duration_ms >> 13) when duration_ms < 262144 then 112 + (duration_ms >> 14) when duration_ms < 524288 then 120 + (duration_ms >> 15) when duration_ms < 1048576 then 128 + (duration_ms >> 16) when duration_ms < 2097152 then 136 + (duration_ms >> 17) when duration_ms < 4194304 then 144 + (duration_ms >> 18) when duration_ms < 8388608 then 152 + (duration_ms >> 19) when duration_ms < 16777216 then 160 + (duration_ms >> 20) when duration_ms < 33554432 then 168 + (duration_ms >> 21) when duration_ms < 67108864 then 176 + (duration_ms >> 22) when duration_ms < 134217728 then 184 + (duration_ms >> 23) when duration_ms < 268435456 then 192 + (duration_ms >> 24) when duration_ms < 536870912 then 200 + (duration_ms >> 25) when duration_ms < 1073741824 then 208 + (duration_ms >> 26) when duration_ms < 2147483648 then 216 + (duration_ms >> 27) else 232 end), count(*) FROM `usage_events` GROUP BY 1, 2, 3, 4
UNION ALL
SELECT `at` / 3600000, '*', `outcome`, (case when duration_ms < 16 then max(duration_ms, 0) when duration_ms < 32 then 8 + (duration_ms >> 1) when duration_ms < 64 then 16 + (duration_ms >> 2) when duration_ms < 128 then 24 + (duration_ms >> 3) when duration_ms < 256 then 32 + (duration_ms >> 4) when duration_ms < 512 then 40 + (duration_ms >> 5) when duration_ms < 1024 then 48 + (duration_ms >> 6) when duration_ms < 2048 then 56 + (duration_ms >> 7) when duration_ms < 4096 then 64 + (duration_ms >> 8) when duration_ms < 8192 then 72 + (duration_ms >> 9) when duration_ms < 16384 then 80 + (duration_ms >> 10) when duration_ms < 32768 then 88 + (duration_ms >> 11) when duration_ms < 65536 then 96 + (duration_ms >> 12) when duration_ms < 131072 then 104 + (duration_ms >> 13) when duration_ms < 262144 then 112 + (duration_ms >> 14) when duration_ms < 524288 then 120 + (duration_ms >> 15) when duration_ms < 1048576 then 128 + (duration_ms >> 16) when duration_ms < 2097152 then 136 + (duration_ms >> 17) when duration_ms < 4194304 then 144 + (duration_ms >> 18) when duration_ms < 8388608 then 152 + (duration_ms >> 19) when duration_ms < 16777216 then 160 + (duration_ms >> 20) when duration_ms < 33554432 then 168 + (duration_ms >> 21) when duration_ms < 67108864 then 176 + (duration_ms >> 22) when duration_ms < 134217728 then 184 + (duration_ms >> 23) when duration_ms < 268435456 then 192 + (duration_ms >> 24) when duration_ms < 536870912 then 200 + (duration_ms >> 25) when duration_ms < 1073741824 then 208 + (duration_ms >> 26) when duration_ms < 2147483648 then 216 + (duration_ms >> 27) else 232 end), count(*) FROM `usage_events` GROUP BY 1, 2, 3, 4;
--> statement-breakpoint
CREATE TRIGGER `usage_events_rollup_insert` AFTER INSERT ON `usage_events` BEGIN
  INSERT INTO `usage_rollup_daily` (`day`, `tenant_id`, `tool`, `outcome`, `calls`, `duration_ms_sum`)
    VALUES (new.`at` / 86400000, coalesce(new.`tenant_id`, ''), coalesce(new.`tool`, ''), new.`outcome`, 1, new.`duration_ms`)
    ON CONFLICT DO UPDATE SET `calls` = `calls` + 1, `duration_ms_sum` = `duration_ms_sum` + excluded.`duration_ms_sum`;
  INSERT INTO `usage_latency_hourly` (`hour`, `scope`, `outcome`, `bucket`, `calls`)
    SELECT new.`at` / 3600000, s.`scope`, new.`outcome`, (case when new.duration_ms < 16 then max(new.duration_ms, 0) when new.duration_ms < 32 then 8 + (new.duration_ms >> 1) when new.duration_ms < 64 then 16 + (new.duration_ms >> 2) when new.duration_ms < 128 then 24 + (new.duration_ms >> 3) when new.duration_ms < 256 then 32 + (new.duration_ms >> 4) when new.duration_ms < 512 then 40 + (new.duration_ms >> 5) when new.duration_ms < 1024 then 48 + (new.duration_ms >> 6) when new.duration_ms < 2048 then 56 + (new.duration_ms >> 7) when new.duration_ms < 4096 then 64 + (new.duration_ms >> 8) when new.duration_ms < 8192 then 72 + (new.duration_ms >> 9) when new.duration_ms < 16384 then 80 + (new.duration_ms >> 10) when new.duration_ms < 32768 then 88 + (new.duration_ms >> 11) when new.duration_ms < 65536 then 96 + (new.duration_ms >> 12) when new.duration_ms < 131072 then 104 + (new.duration_ms >> 13) when new.duration_ms < 262144 then 112 + (new.duration_ms >> 14) when new.duration_ms < 524288 then 120 + (new.duration_ms >> 15) when new.duration_ms < 1048576 then 128 + (new.duration_ms >> 16) when new.duration_ms < 2097152 then 136 + (new.duration_ms >> 17) when new.duration_ms < 4194304 then 144 + (new.duration_ms >> 18) when new.duration_ms < 8388608 then 152 + (new.duration_ms >> 19) when new.duration_ms < 16777216 then 160 + (new.duration_ms >> 20) when new.duration_ms < 33554432 then 168 + (new.duration_ms >> 21) when new.duration_ms < 67108864 then 176 + (new.duration_ms >> 22) when new.duration_ms < 134217728 then 184 + (new.duration_ms >> 23) when new.duration_ms < 268435456 then 192 + (new.duration_ms >> 24) when new.duration_ms < 536870912 then 200 + (new.duration_ms >> 25) when new.duration_ms < 1073741824 then 208 + (new.duration_ms >> 26) when new.duration_ms < 2147483648 then 216 + (new.duration_ms >> 27) else 232 end), 1
    FROM (SELECT coalesce(new.`tenant_id`, '') AS `scope` UNION ALL SELECT '*') AS s WHERE true
    ON CONFLICT DO UPDATE SET `calls` = `calls` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `usage_events_rollup_delete` AFTER DELETE ON `usage_events` BEGIN
  UPDATE `usage_rollup_daily` SET `calls` = `calls` - 1, `duration_ms_sum` = `duration_ms_sum` - old.`duration_ms`
    WHERE `day` = old.`at` / 86400000 AND `tenant_id` = coalesce(old.`tenant_id`, '') AND `tool` = coalesce(old.`tool`, '') AND `outcome` = old.`outcome`;
  UPDATE `usage_latency_hourly` SET `calls` = `calls` - 1
    WHERE `hour` = old.`at` / 3600000 AND `scope` IN (coalesce(old.`tenant_id`, ''), '*') AND `outcome` = old.`outcome` AND `bucket` = (case when old.duration_ms < 16 then max(old.duration_ms, 0) when old.duration_ms < 32 then 8 + (old.duration_ms >> 1) when old.duration_ms < 64 then 16 + (old.duration_ms >> 2) when old.duration_ms < 128 then 24 + (old.duration_ms >> 3) when old.duration_ms < 256 then 32 + (old.duration_ms >> 4) when old.duration_ms < 512 then 40 + (old.duration_ms >> 5) when old.duration_ms < 1024 then 48 + (old.duration_ms >> 6) when old.duration_ms < 2048 then 56 + (old.duration_ms >> 7) when old.duration_ms < 4096 then 64 + (old.duration_ms >> 8) when old.duration_ms < 8192 then 72 + (old.duration_ms >> 9) when old.duration_ms < 16384 then 80 + (old.duration_ms >> 10) when old.duration_ms < 32768 then 88 + (old.duration_ms >> 11) when old.duration_ms < 65536 then 96 + (old.duration_ms >> 12) when old.duration_ms < 131072 then 104 + (old.duration_ms >> 13) when old.duration_ms < 262144 then 112 + (old.duration_ms >> 14) when old.duration_ms < 524288 then 120 + (old.duration_ms >> 15) when old.duration_ms < 1048576 then 128 + (old.duration_ms >> 16) when old.duration_ms < 2097152 then 136 + (old.duration_ms >> 17) when old.duration_ms < 4194304 then 144 + (old.duration_ms >> 18) when old.duration_ms < 8388608 then 152 + (old.duration_ms >> 19) when old.duration_ms < 16777216 then 160 + (old.duration_ms >> 20) when old.duration_ms < 33554432 then 168 + (old.duration_ms >> 21) when old.duration_ms < 67108864 then 176 + (old.duration_ms >> 22) when old.duration_ms < 134217728 then 184 + (old.duration_ms >> 23) when old.duration_ms < 268435456 then 192 + (old.duration_ms >> 24) when old.duration_ms < 536870912 then 200 + (old.duration_ms >> 25) when old.duration_ms < 1073741824 then 208 + (old.duration_ms >> 26) when old.duration_ms < 2147483648 then 216 + (old.duration_ms >> 27) else 232 end);
END;
--> statement-breakpoint
CREATE TRIGGER `usage_events_rollup_update` BEFORE UPDATE ON `usage_events` BEGIN
  SELECT raise(ABORT, 'usage events are append-only: the usage rollups count them as written');
END;