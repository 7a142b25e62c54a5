output "publisher_url" {
  value = local.publisher_url
}

output "publisher_load_balancer_dns_name" {
  description = "Point publisher_domain here (CNAME or alias)."
  value       = aws_lb.publisher.dns_name
}

output "site_url" {
  value = local.site_url
}

output "cloudfront_domain_name" {
  description = "Point site_domain here (CNAME or alias)."
  value       = aws_cloudfront_distribution.site.domain_name
}

output "cloudfront_distribution_id" {
  value = aws_cloudfront_distribution.site.id
}

output "site_buckets" {
  value = {
    primary = aws_s3_bucket.site_primary.bucket
    mirror  = aws_s3_bucket.site_mirror.bucket
  }
}

output "uploads_bucket" {
  value = aws_s3_bucket.uploads.bucket
}

output "database_endpoint" {
  description = "Host and port of the primary, for database_url."
  value       = aws_db_instance.primary.endpoint
}

output "database_replica_endpoint" {
  description = "Host and port of the read replica, for database_read_url."
  value       = aws_db_instance.replica.endpoint
}

output "database_master_secret_arn" {
  description = "The RDS-managed secret with the master password (first install only)."
  value       = aws_db_instance.primary.master_user_secret[0].secret_arn
}

output "secret_arns" {
  description = "The secrets to fill in by hand (doc/deploy.md, first install)."
  value       = local.secret_arn
}

output "site_builder_iam_user" {
  description = "Make its access key by hand and put it in the site-builder-s3 secret."
  value       = aws_iam_user.site_builder.name
}

output "ecs_cluster" {
  value = aws_ecs_cluster.this.name
}

output "task_definitions" {
  value = {
    publisher         = aws_ecs_task_definition.publisher.family
    publisher_command = aws_ecs_task_definition.publisher_command.family
    site_builder      = aws_ecs_task_definition.site_builder.family
  }
}

output "run_task_network" {
  description = "The --network-configuration for one-off tasks (aws ecs run-task)."
  value = {
    subnets                     = var.private_subnet_ids
    publisher_security_group    = aws_security_group.publisher.id
    site_builder_security_group = aws_security_group.site_builder.id
  }
}
