CREATE TABLE `connector_secrets` (
	`connector_id` text NOT NULL,
	`tenant_id` text NOT NULL,
	`secret` text NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`connector_id`, `tenant_id`),
	FOREIGN KEY (`connector_id`) REFERENCES `connectors`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `connectors` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`url` text NOT NULL,
	`document_url` text,
	`selection` text,
	`operations` text,
	`credential` text NOT NULL,
	`secret_header` text,
	`audience` text,
	`tool_scopes` text NOT NULL,
	`tools_ttl_seconds` integer DEFAULT 300 NOT NULL,
	`list_secret` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `connectors_name_unique` ON `connectors` (`name`);--> statement-breakpoint
ALTER TABLE `usage_events` ADD `upstream_status` integer;--> statement-breakpoint
ALTER TABLE `usage_events` ADD `upstream_ms` integer;