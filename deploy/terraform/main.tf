# Almanac on AWS: the publisher (ECS Fargate behind an ALB), the site builder (ECS Fargate
# workers), RDS PostgreSQL 15 with a read replica, the site in an S3 primary and a mirror
# bucket behind CloudFront, and the uploads bucket. See doc/deploy.md.
#
#   terraform init -backend-config=bucket=... -backend-config=key=almanac/staging.tfstate
#   terraform plan -var-file=environments/staging.tfvars

terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # State lives in S3; the bucket, key, region and lock table are given to `terraform init`
  # with -backend-config, so that one configuration serves every environment.
  backend "s3" {}
}

provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }
}

# The mirror bucket's region. See doc/deploy.md, "Known gaps": the site builder signs requests
# to both buckets for one S3_REGION today.
provider "aws" {
  alias  = "mirror"
  region = var.mirror_region

  default_tags {
    tags = local.tags
  }
}

data "aws_caller_identity" "current" {}

locals {
  name = "almanac-${var.environment}"

  tags = {
    Project     = "almanac"
    Environment = var.environment
    ManagedBy   = "terraform"
  }

  publisher_url = "https://${var.publisher_domain}"
  site_url      = var.site_domain != "" ? "https://${var.site_domain}" : "https://${aws_cloudfront_distribution.site.domain_name}"

  # Bucket names are global: account id and environment make them unique and say whose
  # they are (the issue 7 environment guard refuses production names outside production).
  bucket_prefix = "${local.name}-${data.aws_caller_identity.current.account_id}"
}
