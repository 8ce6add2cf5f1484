CREATE TABLE `trusted_issuers` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`issuer` text NOT NULL,
	`jwks_uri` text,
	`jwks` text,
	`audience` text,
	`algorithms` text NOT NULL,
	`scope_claim` text DEFAULT 'scope' NOT NULL,
	`tenant_claim` text,
	`tenant_claim_value` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `trusted_issuers_issuer_idx` ON `trusted_issuers` (`issuer`);--> statement-breakpoint
CREATE UNIQUE INDEX `trusted_issuers_tenant_issuer_unique` ON `trusted_issuers` (`tenant_id`,`issuer`);