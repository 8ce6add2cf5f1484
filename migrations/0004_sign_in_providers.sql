CREATE TABLE `sign_in_providers` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`tenant_id` text,
	`name` text NOT NULL,
	`issuer` text NOT NULL,
	`client_id` text NOT NULL,
	`client_secret` text,
	`request_scopes` text NOT NULL,
	`tenant_claim` text,
	`scope_claim` text,
	`grant_scopes` text,
	`email_domains` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sign_in_providers_tenant_idx` ON `sign_in_providers` (`tenant_id`);--> statement-breakpoint
CREATE TABLE `tenant_sign_in_methods` (
	`tenant_id` text PRIMARY KEY NOT NULL,
	`api_key` integer DEFAULT true NOT NULL,
	`company` integer DEFAULT true NOT NULL,
	`tenant_sso` integer DEFAULT true NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
