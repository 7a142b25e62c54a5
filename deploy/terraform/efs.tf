# A shared file system, because two things are still files on disk in the code today:
#
# - UPLOAD_DIR: the publisher stores accepted source-data files there and the site builder
#   reads them into the site (almanac_uploads::FileStore has only a local store so far);
# - SITE_GIT_DIR: the site's git history, which `site-builder rollback` reads, must outlive
#   any one task (and SITE_GIT_REMOTE can only be a path: this libgit2 has no https or ssh).
#
# The uploads bucket (buckets.tf) is there for the S3 file store when it comes.

resource "aws_efs_file_system" "this" {
  creation_token   = local.name
  encrypted        = true
  performance_mode = "generalPurpose"
  throughput_mode  = "elastic"

  tags = {
    Name = local.name
  }
}

resource "aws_efs_backup_policy" "this" {
  file_system_id = aws_efs_file_system.this.id

  backup_policy {
    status = "ENABLED"
  }
}

resource "aws_efs_mount_target" "this" {
  for_each = toset(var.private_subnet_ids)

  file_system_id  = aws_efs_file_system.this.id
  subnet_id       = each.value
  security_groups = [aws_security_group.efs.id]
}

# Both access points act as the images' user (uid 10001), whatever the client says.
resource "aws_efs_access_point" "uploads" {
  file_system_id = aws_efs_file_system.this.id

  posix_user {
    uid = 10001
    gid = 10001
  }

  root_directory {
    path = "/uploads"

    creation_info {
      owner_uid   = 10001
      owner_gid   = 10001
      permissions = "0750"
    }
  }
}

resource "aws_efs_access_point" "site_history" {
  file_system_id = aws_efs_file_system.this.id

  posix_user {
    uid = 10001
    gid = 10001
  }

  root_directory {
    path = "/site-history"

    creation_info {
      owner_uid   = 10001
      owner_gid   = 10001
      permissions = "0750"
    }
  }
}

# Nothing over plain NFS. Who may mount which access point, and write to it, is in the task
# roles' policies (iam.tf): the tasks mount with IAM authorisation, so the site builder, which
# has no ClientWrite on the uploads access point, mounts it read-only.
resource "aws_efs_file_system_policy" "this" {
  file_system_id = aws_efs_file_system.this.id
  policy         = data.aws_iam_policy_document.efs.json
}

data "aws_iam_policy_document" "efs" {
  statement {
    sid       = "DenyWithoutTls"
    effect    = "Deny"
    actions   = ["*"]
    resources = [aws_efs_file_system.this.arn]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}
