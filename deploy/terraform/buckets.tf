# Three buckets, none public:
#
# - site primary (var.region) and site mirror (var.mirror_region, through the aws.mirror
#   provider): the built site, written only by the site builder, read only by CloudFront
#   through origin access control. The builder deploys both in every build (ADR 0011).
# - uploads: for the S3 file store of source-data uploads and the staging data pull (both
#   planned); read and written only by the publisher.

locals {
  site_buckets = {
    primary = aws_s3_bucket.site_primary
    mirror  = aws_s3_bucket.site_mirror
  }
}

resource "aws_s3_bucket" "site_primary" {
  bucket = "${local.bucket_prefix}-site"
}

resource "aws_s3_bucket" "site_mirror" {
  provider = aws.mirror
  bucket   = "${local.bucket_prefix}-site-mirror"
}

resource "aws_s3_bucket" "uploads" {
  bucket = "${local.bucket_prefix}-uploads"
}

# --- Primary and uploads (var.region) ------------------------------------------------------

resource "aws_s3_bucket_public_access_block" "regional" {
  for_each = {
    site_primary = aws_s3_bucket.site_primary.id
    uploads      = aws_s3_bucket.uploads.id
  }

  bucket                  = each.value
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "regional" {
  for_each = {
    site_primary = aws_s3_bucket.site_primary.id
    uploads      = aws_s3_bucket.uploads.id
  }

  bucket = each.value

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "regional" {
  for_each = {
    site_primary = aws_s3_bucket.site_primary.id
    uploads      = aws_s3_bucket.uploads.id
  }

  bucket = each.value

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "regional" {
  for_each = {
    site_primary = aws_s3_bucket.site_primary.id
    uploads      = aws_s3_bucket.uploads.id
  }

  bucket = each.value

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# Every build overwrites pages; old versions are kept 90 days (site) or a year (uploads).
resource "aws_s3_bucket_lifecycle_configuration" "regional" {
  for_each = {
    site_primary = { bucket = aws_s3_bucket.site_primary.id, days = 90 }
    uploads      = { bucket = aws_s3_bucket.uploads.id, days = 365 }
  }

  bucket = each.value.bucket

  rule {
    id     = "expire-old-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = each.value.days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.regional]
}

# --- Mirror (var.mirror_region) ------------------------------------------------------------

resource "aws_s3_bucket_public_access_block" "site_mirror" {
  provider = aws.mirror
  bucket   = aws_s3_bucket.site_mirror.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "site_mirror" {
  provider = aws.mirror
  bucket   = aws_s3_bucket.site_mirror.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "site_mirror" {
  provider = aws.mirror
  bucket   = aws_s3_bucket.site_mirror.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "site_mirror" {
  provider = aws.mirror
  bucket   = aws_s3_bucket.site_mirror.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "site_mirror" {
  provider = aws.mirror
  bucket   = aws_s3_bucket.site_mirror.id

  rule {
    id     = "expire-old-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = 90
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.site_mirror]
}

# --- Bucket policies -----------------------------------------------------------------------

# The site buckets: CloudFront (this distribution only) may read; nothing over plain HTTP.
data "aws_iam_policy_document" "site_bucket" {
  for_each = local.site_buckets

  statement {
    sid       = "CloudFrontReads"
    actions   = ["s3:GetObject"]
    resources = ["${each.value.arn}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.site.arn]
    }
  }

  statement {
    sid       = "TlsOnly"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [each.value.arn, "${each.value.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "site_primary" {
  bucket = aws_s3_bucket.site_primary.id
  policy = data.aws_iam_policy_document.site_bucket["primary"].json

  depends_on = [aws_s3_bucket_public_access_block.regional]
}

resource "aws_s3_bucket_policy" "site_mirror" {
  provider = aws.mirror
  bucket   = aws_s3_bucket.site_mirror.id
  policy   = data.aws_iam_policy_document.site_bucket["mirror"].json

  depends_on = [aws_s3_bucket_public_access_block.site_mirror]
}

data "aws_iam_policy_document" "uploads_bucket" {
  statement {
    sid       = "TlsOnly"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.uploads.arn, "${aws_s3_bucket.uploads.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "uploads" {
  bucket = aws_s3_bucket.uploads.id
  policy = data.aws_iam_policy_document.uploads_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.regional]
}
