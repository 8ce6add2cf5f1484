CREATE TABLE `limit_counters` (
	`counter` text PRIMARY KEY NOT NULL,
	`window_start` integer NOT NULL,
	`used` integer NOT NULL,
	`granted` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `limits` (
	`tenant_id` text NOT NULL,
	`key_id` text DEFAULT '' NOT NULL,
	`tool` text DEFAULT '' NOT NULL,
	`rate` integer,
	`rate_unit` text,
	`quota` integer,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`tenant_id`, `key_id`, `tool`),
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `usage_batches` (
	`id` text PRIMARY KEY NOT NULL,
	`written_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `usage_batches_written_at_idx` ON `usage_batches` (`written_at`);--> statement-breakpoint
DROP INDEX `usage_events_at_idx`;--> statement-breakpoint
DROP INDEX `usage_events_tenant_at_idx`;--> statement-breakpoint
CREATE INDEX `usage_events_at_cover_idx` ON `usage_events` (`at`,`tenant_id`,`key_id`,`tool`,`outcome`,`duration_ms`,`request_bytes`,`response_bytes`);--> statement-breakpoint
CREATE INDEX `usage_events_tenant_at_cover_idx` ON `usage_events` (`tenant_id`,`at`,`key_id`,`tool`,`outcome`,`duration_ms`,`request_bytes`,`response_bytes`);