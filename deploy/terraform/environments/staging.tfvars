# Staging: production's shape at a smaller size, basic auth in front of the public site.
# Give the password as TF_VAR_basic_auth_password, never in this file.
#
#   terraform plan -var-file=environments/staging.tfvars

environment   = "staging"
region        = "eu-west-2"
mirror_region = "eu-west-2" # eu-west-1 once the builder reads a region per bucket (doc/deploy.md)

vpc_id              = "vpc-0123456789abcdef0"
public_subnet_ids   = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
private_subnet_ids  = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
database_subnet_ids = ["subnet-0ccccccccccccccc1", "subnet-0ccccccccccccccc2"]

publisher_domain          = "publisher.staging.almanac.example.gov.uk"
publisher_certificate_arn = "arn:aws:acm:eu-west-2:111111111111:certificate/00000000-0000-0000-0000-000000000000"
site_domain               = "staging.almanac.example.gov.uk"
site_certificate_arn      = "arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000001"

publisher_image    = "111111111111.dkr.ecr.eu-west-2.amazonaws.com/almanac-publisher:2026.11.23-1"
site_builder_image = "111111111111.dkr.ecr.eu-west-2.amazonaws.com/almanac-site-builder:2026.11.23-1"

publisher_min_count = 2
publisher_max_count = 3
site_builder_count  = 1

db_instance_class         = "db.t4g.small"
db_replica_instance_class = "db.t4g.small"
db_multi_az               = false
db_backup_retention_days  = 7

smtp_host = "smtp.example.gov.uk"
mail_from = "Almanac staging <noreply@staging.almanac.example.gov.uk>"

log_retention_days = 30
