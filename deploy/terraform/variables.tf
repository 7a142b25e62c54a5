# --- Environment --------------------------------------------------------------------------

variable "environment" {
  description = "ENVIRONMENT of both binaries: review, staging or production (development runs on a laptop with ./dev run)."
  type        = string

  validation {
    condition     = contains(["review", "staging", "production"], var.environment)
    error_message = "Use review, staging or production."
  }
}

variable "region" {
  description = "Region of everything except the mirror bucket."
  type        = string
  default     = "eu-west-2"
}

variable "mirror_region" {
  description = "Region of the mirror bucket. Keep it equal to region until the site builder reads a region per bucket (doc/deploy.md, Known gaps)."
  type        = string
  default     = "eu-west-2"
}

# --- Network (the VPC is made elsewhere) -------------------------------------------------

variable "vpc_id" {
  description = "The VPC to run in."
  type        = string
}

variable "public_subnet_ids" {
  description = "Subnets for the load balancer (at least two zones)."
  type        = list(string)
}

variable "private_subnet_ids" {
  description = "Subnets for the ECS tasks and the EFS mount targets (one per zone), with a NAT route for SMTP, Sentry, S3 and image pulls."
  type        = list(string)
}

variable "database_subnet_ids" {
  description = "Subnets for RDS (at least two zones)."
  type        = list(string)
}

variable "metrics_source_cidrs" {
  description = "Who may scrape METRICS_ADDR (issue 7) on the tasks; empty opens nothing."
  type        = list(string)
  default     = []
}

# --- Names and certificates --------------------------------------------------------------

variable "publisher_domain" {
  description = "Host name of the publisher, e.g. publisher.almanac.example.gov.uk (PUBLIC_URL is https:// and this)."
  type        = string
}

variable "publisher_certificate_arn" {
  description = "ACM certificate for publisher_domain, in var.region."
  type        = string
}

variable "site_domain" {
  description = "Host name of the public site (SITE_PUBLIC_URL); empty uses the CloudFront domain."
  type        = string
  default     = ""
}

variable "site_certificate_arn" {
  description = "ACM certificate for site_domain, in us-east-1 (CloudFront's rule); empty when site_domain is empty."
  type        = string
  default     = ""
}

variable "cloudfront_price_class" {
  type    = string
  default = "PriceClass_100"
}

variable "basic_auth_username" {
  description = "Staging only: the user name CloudFront asks for."
  type        = string
  default     = "almanac"
}

variable "basic_auth_password" {
  description = "Staging only: the password CloudFront asks for. Pass it as TF_VAR_basic_auth_password, never in a committed file."
  type        = string
  default     = ""
  sensitive   = true
}

# --- Images and sizes --------------------------------------------------------------------

variable "publisher_image" {
  description = "Image of deploy/containers/publisher.Containerfile, by digest or release tag."
  type        = string
}

variable "site_builder_image" {
  description = "Image of deploy/containers/site-builder.Containerfile, of the same release."
  type        = string
}

variable "clamav_image" {
  description = "clamd with freshclam, run beside each publisher task."
  type        = string
  default     = "clamav/clamav:1.4"
}

variable "publisher_min_count" {
  type    = number
  default = 2

  validation {
    condition     = var.publisher_min_count >= 2
    error_message = "Run at least two publisher tasks, in different zones."
  }
}

variable "publisher_max_count" {
  type    = number
  default = 6
}

variable "publisher_cpu" {
  type    = number
  default = 1024
}

variable "publisher_memory" {
  description = "MiB for the task: the publisher plus clamd, which needs about 1.5 GiB for its signatures."
  type        = number
  default     = 4096
}

variable "site_builder_count" {
  description = "Builder workers. One builds at a time (the queue guarantees it); more are standby."
  type        = number
  default     = 1

  validation {
    condition     = var.site_builder_count >= 1
    error_message = "At least one builder must run, or publishes never reach the site."
  }
}

variable "site_builder_cpu" {
  description = "The render uses every core."
  type        = number
  default     = 2048
}

variable "site_builder_memory" {
  type    = number
  default = 8192
}

variable "site_builder_ephemeral_gib" {
  description = "Task disk: SITE_DIR keeps the last three builds of the whole site."
  type        = number
  default     = 40
}

# --- Database ----------------------------------------------------------------------------

variable "db_instance_class" {
  type    = string
  default = "db.t4g.medium"
}

variable "db_replica_instance_class" {
  type    = string
  default = "db.t4g.medium"
}

variable "db_allocated_storage_gib" {
  type    = number
  default = 50
}

variable "db_max_allocated_storage_gib" {
  type    = number
  default = 200
}

variable "db_multi_az" {
  type    = bool
  default = true
}

variable "db_backup_retention_days" {
  type    = number
  default = 14
}

variable "deletion_protection" {
  description = "Protect the database and keep a final snapshot; false only for throwaway review environments."
  type        = bool
  default     = true
}

variable "database_pool_size" {
  description = "DATABASE_POOL_SIZE per publisher task."
  type        = number
  default     = 10
}

# --- Application settings (see doc/deploy.md for each variable) --------------------------

variable "allowed_email_domains" {
  type    = string
  default = "gov.uk,nhs.net"
}

variable "two_factor_required_for" {
  type    = string
  default = "admins"
}

variable "smtp_host" {
  description = "SMTP_HOST. Required outside review: without it mail is written to files in the task, where nobody reads it."
  type        = string
}

variable "smtp_port" {
  type    = number
  default = 587
}

variable "smtp_tls" {
  type    = string
  default = "starttls"
}

variable "mail_from" {
  type = string
}

variable "upload_max_bytes" {
  description = "UPLOAD_MAX_BYTES. The clamav image's clamd accepts streams of 25M by default (StreamMaxLength); keep this at or below it."
  type        = string
  default     = "25M"
}

variable "site_chart_png" {
  description = "SITE_CHART_PNG, the same for both binaries."
  type        = bool
  default     = false
}

variable "site_delete_cap" {
  type    = number
  default = 256
}

variable "build_lease_seconds" {
  type    = number
  default = 120
}

variable "site_git_remote" {
  description = "SITE_GIT_REMOTE: a path (this libgit2 has no https or ssh), e.g. a second folder on the EFS volume; empty for none."
  type        = string
  default     = ""
}

variable "rust_log" {
  type    = string
  default = "info"
}

variable "log_retention_days" {
  type    = number
  default = 90
}
