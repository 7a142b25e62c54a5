# Least privilege, one role per job:
#
# - execution roles (ECS itself): pull the image, write the log group, read this service's
#   secrets and nothing else;
# - publisher task role: the uploads bucket (read, write, delete) and its EFS access point;
# - site builder task role: both site buckets and its EFS access points;
# - site builder IAM user: the same site-bucket rights, because the site builder takes
#   S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY today rather than the task role's credentials.
#   Its access key is made by hand (doc/deploy.md) so that it never enters the state. Delete
#   the user once the builder uses the default credential chain.

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:aws:ecs:${var.region}:${data.aws_caller_identity.current.account_id}:*"]
    }
  }
}

# --- Execution roles -------------------------------------------------------------------------

resource "aws_iam_role" "publisher_execution" {
  name               = "${local.name}-publisher-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role" "site_builder_execution" {
  name               = "${local.name}-site-builder-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy_attachment" "execution_base" {
  for_each = {
    publisher    = aws_iam_role.publisher_execution.name
    site_builder = aws_iam_role.site_builder_execution.name
  }

  role       = each.value
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "publisher_execution_secrets" {
  statement {
    actions = ["secretsmanager:GetSecretValue"]
    resources = [
      local.secret_arn.database,
      local.secret_arn.publisher,
      local.secret_arn.smtp,
      local.secret_arn.sentry,
    ]
  }
}

data "aws_iam_policy_document" "site_builder_execution_secrets" {
  statement {
    actions = ["secretsmanager:GetSecretValue"]
    resources = [
      local.secret_arn.database,
      local.secret_arn.site_builder_s3,
      local.secret_arn.sentry,
    ]
  }
}

resource "aws_iam_role_policy" "publisher_execution_secrets" {
  name   = "secrets"
  role   = aws_iam_role.publisher_execution.id
  policy = data.aws_iam_policy_document.publisher_execution_secrets.json
}

resource "aws_iam_role_policy" "site_builder_execution_secrets" {
  name   = "secrets"
  role   = aws_iam_role.site_builder_execution.id
  policy = data.aws_iam_policy_document.site_builder_execution_secrets.json
}

# --- Publisher ---------------------------------------------------------------------------------

resource "aws_iam_role" "publisher_task" {
  name               = "${local.name}-publisher"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "publisher_task" {
  statement {
    sid       = "ListUploads"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.uploads.arn]
  }

  statement {
    sid       = "ReadWriteUploads"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.uploads.arn}/*"]
  }

  statement {
    sid       = "UploadsFolder"
    actions   = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    resources = [aws_efs_file_system.this.arn]

    condition {
      test     = "StringEquals"
      variable = "elasticfilesystem:AccessPointArn"
      values   = [aws_efs_access_point.uploads.arn]
    }
  }
}

resource "aws_iam_role_policy" "publisher_task" {
  name   = "uploads"
  role   = aws_iam_role.publisher_task.id
  policy = data.aws_iam_policy_document.publisher_task.json
}

# --- Site builder ------------------------------------------------------------------------------

data "aws_iam_policy_document" "site_buckets_write" {
  statement {
    sid       = "ListSiteBuckets"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.site_primary.arn, aws_s3_bucket.site_mirror.arn]
  }

  # PutObject, HeadObject, CopyObject (header-only changes), DeleteObjects: almanac-deploy.
  statement {
    sid     = "WriteSiteObjects"
    actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = [
      "${aws_s3_bucket.site_primary.arn}/*",
      "${aws_s3_bucket.site_mirror.arn}/*",
    ]
  }
}

resource "aws_iam_policy" "site_buckets_write" {
  name        = "${local.name}-site-buckets-write"
  description = "Deploy the built site to the primary and mirror buckets"
  policy      = data.aws_iam_policy_document.site_buckets_write.json
}

resource "aws_iam_role" "site_builder_task" {
  name               = "${local.name}-site-builder"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy_attachment" "site_builder_task_buckets" {
  role       = aws_iam_role.site_builder_task.name
  policy_arn = aws_iam_policy.site_buckets_write.arn
}

data "aws_iam_policy_document" "site_builder_task_efs" {
  statement {
    sid       = "MountUploadsReadOnly"
    actions   = ["elasticfilesystem:ClientMount"]
    resources = [aws_efs_file_system.this.arn]

    condition {
      test     = "StringEquals"
      variable = "elasticfilesystem:AccessPointArn"
      values   = [aws_efs_access_point.uploads.arn]
    }
  }

  statement {
    sid       = "SiteHistory"
    actions   = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    resources = [aws_efs_file_system.this.arn]

    condition {
      test     = "StringEquals"
      variable = "elasticfilesystem:AccessPointArn"
      values   = [aws_efs_access_point.site_history.arn]
    }
  }
}

resource "aws_iam_role_policy" "site_builder_task_efs" {
  name   = "efs"
  role   = aws_iam_role.site_builder_task.id
  policy = data.aws_iam_policy_document.site_builder_task_efs.json
}

resource "aws_iam_user" "site_builder" {
  name = "${local.name}-site-builder"
}

resource "aws_iam_user_policy_attachment" "site_builder_buckets" {
  user       = aws_iam_user.site_builder.name
  policy_arn = aws_iam_policy.site_buckets_write.arn
}
