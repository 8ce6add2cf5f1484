ALTER TABLE `sign_in_providers` ADD `admin_claim` text;--> statement-breakpoint
ALTER TABLE `sign_in_providers` ADD `admin_values` text;