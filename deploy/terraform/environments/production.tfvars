# Production. No basic auth: the site is public.
#
#   terraform plan -var-file=environments/production.tfvars

environment   = "production"
region        = "eu-west-2"
mirror_region = "eu-west-2" # eu-west-1 once the builder reads a region per bucket (doc/deploy.md)

vpc_id              = "vpc-0fedcba9876543210"
public_subnet_ids   = ["subnet-0ddddddddddddddd1", "subnet-0ddddddddddddddd2", "subnet-0ddddddddddddddd3"]
private_subnet_ids  = ["subnet-0eeeeeeeeeeeeeee1", "subnet-0eeeeeeeeeeeeeee2", "subnet-0eeeeeeeeeeeeeee3"]
database_subnet_ids = ["subnet-0fffffffffffffff1", "subnet-0fffffffffffffff2", "subnet-0fffffffffffffff3"]

publisher_domain          = "publisher.almanac.example.gov.uk"
publisher_certificate_arn = "arn:aws:acm:eu-west-2:222222222222:certificate/00000000-0000-0000-0000-000000000002"
site_domain               = "almanac.example.gov.uk"
site_certificate_arn      = "arn:aws:acm:us-east-1:222222222222:certificate/00000000-0000-0000-0000-000000000003"

publisher_image    = "222222222222.dkr.ecr.eu-west-2.amazonaws.com/almanac-publisher:2026.11.23-1"
site_builder_image = "222222222222.dkr.ecr.eu-west-2.amazonaws.com/almanac-site-builder:2026.11.23-1"

publisher_min_count = 2
publisher_max_count = 6
site_builder_count  = 2

db_instance_class         = "db.m7g.large"
db_replica_instance_class = "db.m7g.large"
db_multi_az               = true
db_backup_retention_days  = 35
deletion_protection       = true

smtp_host = "smtp.example.gov.uk"
mail_from = "Almanac <noreply@almanac.example.gov.uk>"

metrics_source_cidrs = ["10.20.0.0/16"]
log_retention_days   = 400
