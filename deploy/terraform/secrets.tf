# Secrets in Secrets Manager, handed to the containers as ECS secrets (environment variables
# at start). Terraform makes the empty secrets; their values are put in once by hand
# (doc/deploy.md, first install), so that no secret value is ever in the Terraform state.
#
# A JSON secret is read by key ("<arn>:<key>::"); every key named here must exist in the
# secret's JSON or the task does not start. An empty string counts as unset in Almanac
# (ADR 0005), so a key that is not used yet, like sentry_dsn before issue 7, may be "".

locals {
  secrets = {
    # {"database_url": "postgres://almanac:...@<primary>:5432/almanac?sslmode=require",
    #  "database_read_url": "postgres://almanac:...@<replica>:5432/almanac?sslmode=require"}
    database = "PostgreSQL URLs of the application role, for the primary and the read replica"
    # {"secret_key": "<openssl rand -base64 48>"}
    publisher = "SECRET_KEY of the publisher"
    # {"username": "...", "password": "..."}
    smtp = "SMTP_USERNAME and SMTP_PASSWORD"
    # {"access_key_id": "...", "secret_access_key": "..."} of the IAM user in iam.tf
    site_builder_s3 = "S3 keys of the site builder's IAM user"
    # {"dsn": "https://...@sentry.example/1"}
    sentry = "SENTRY_DSN (issue 7)"
  }
}

resource "aws_secretsmanager_secret" "this" {
  for_each = local.secrets

  name        = "${local.name}/${replace(each.key, "_", "-")}"
  description = each.value
}

locals {
  secret_arn = { for key, secret in aws_secretsmanager_secret.this : key => secret.arn }

  publisher_secrets = [
    { name = "DATABASE_URL", valueFrom = "${local.secret_arn.database}:database_url::" },
    { name = "DATABASE_READ_URL", valueFrom = "${local.secret_arn.database}:database_read_url::" },
    { name = "SECRET_KEY", valueFrom = "${local.secret_arn.publisher}:secret_key::" },
    { name = "SMTP_USERNAME", valueFrom = "${local.secret_arn.smtp}:username::" },
    { name = "SMTP_PASSWORD", valueFrom = "${local.secret_arn.smtp}:password::" },
    { name = "SENTRY_DSN", valueFrom = "${local.secret_arn.sentry}:dsn::" },
  ]

  site_builder_secrets = [
    { name = "DATABASE_URL", valueFrom = "${local.secret_arn.database}:database_url::" },
    { name = "DATABASE_READ_URL", valueFrom = "${local.secret_arn.database}:database_read_url::" },
    { name = "S3_ACCESS_KEY_ID", valueFrom = "${local.secret_arn.site_builder_s3}:access_key_id::" },
    { name = "S3_SECRET_ACCESS_KEY", valueFrom = "${local.secret_arn.site_builder_s3}:secret_access_key::" },
    { name = "SENTRY_DSN", valueFrom = "${local.secret_arn.sentry}:dsn::" },
  ]
}
