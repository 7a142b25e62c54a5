# ECS on Fargate: the publisher service (behind the ALB, two tasks or more, each with a clamd
# beside it) and the site builder service (one worker or more). One-off commands (migrate,
# create-user, rollback, request, verify, load-reference) run as tasks of the
# `publisher-command` and `site-builder` task definitions (doc/deploy.md).

resource "aws_ecs_cluster" "this" {
  name = local.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_cloudwatch_log_group" "this" {
  for_each = toset(["publisher", "clamd", "site-builder"])

  name              = "/almanac/${var.environment}/${each.key}"
  retention_in_days = var.log_retention_days
}

locals {
  # Paths inside the images (deploy/containers/*.Containerfile).
  upload_dir       = "/var/lib/almanac/uploads"
  site_dir         = "/var/lib/almanac/site"
  site_history_dir = "/var/lib/almanac/site-history"

  shared_environment = [
    { name = "ENVIRONMENT", value = var.environment },
    { name = "RUST_LOG", value = var.rust_log },
    { name = "UPLOAD_DIR", value = local.upload_dir },
    { name = "UPLOAD_MAX_BYTES", value = var.upload_max_bytes },
    { name = "SITE_CHART_PNG", value = tostring(var.site_chart_png) },
    # issue 7: the Prometheus endpoint; the ALB never routes /metrics (network.tf).
    { name = "METRICS_ADDR", value = "0.0.0.0:9100" },
  ]

  publisher_environment = concat(local.shared_environment, [
    { name = "PUBLISHER_BIND", value = "0.0.0.0:8000" },
    { name = "PUBLIC_URL", value = local.publisher_url },
    { name = "DATABASE_POOL_SIZE", value = tostring(var.database_pool_size) },
    # The ALB appends the client's address to X-Forwarded-For.
    { name = "TRUSTED_PROXY_HOPS", value = "1" },
    { name = "ALLOWED_EMAIL_DOMAINS", value = var.allowed_email_domains },
    { name = "TWO_FACTOR_REQUIRED_FOR", value = var.two_factor_required_for },
    { name = "SMTP_HOST", value = var.smtp_host },
    { name = "SMTP_PORT", value = tostring(var.smtp_port) },
    { name = "SMTP_TLS", value = var.smtp_tls },
    { name = "MAIL_FROM", value = var.mail_from },
    # The clamd container of the same task (tasks share localhost in awsvpc mode).
    { name = "CLAMD_ADDRESS", value = "127.0.0.1:3310" },
  ])

  site_builder_environment = concat(local.shared_environment, [
    { name = "SITE_PUBLIC_URL", value = local.site_url },
    { name = "SITE_DIR", value = local.site_dir },
    { name = "SITE_GIT_DIR", value = local.site_history_dir },
    { name = "S3_PRIMARY_BUCKET", value = aws_s3_bucket.site_primary.bucket },
    { name = "S3_MIRROR_BUCKET", value = aws_s3_bucket.site_mirror.bucket },
    # One region for both buckets: see var.mirror_region.
    { name = "S3_REGION", value = var.region },
    { name = "SITE_DELETE_CAP", value = tostring(var.site_delete_cap) },
    { name = "BUILD_LEASE_SECONDS", value = tostring(var.build_lease_seconds) },
    # Never connected to by the builder, but parsed with the upload settings, which require
    # it outside development (almanac_uploads::UploadSettings::from_source).
    { name = "CLAMD_ADDRESS", value = "127.0.0.1:3310" },
    ], var.site_git_remote == "" ? [] : [
    { name = "SITE_GIT_REMOTE", value = var.site_git_remote },
  ])

  logs = {
    for key, group in aws_cloudwatch_log_group.this : key => {
      logDriver = "awslogs"
      options = {
        awslogs-group         = group.name
        awslogs-region        = var.region
        awslogs-stream-prefix = key
      }
    }
  }

  # The publisher container as the one-off commands run it...
  publisher_command_container = {
    name             = "publisher"
    image            = var.publisher_image
    essential        = true
    command          = ["migrate"]
    environment      = local.publisher_environment
    secrets          = local.publisher_secrets
    mountPoints      = [{ sourceVolume = "uploads", containerPath = local.upload_dir, readOnly = false }]
    logConfiguration = local.logs["publisher"]
    # An init process as PID 1 passes the stop signal on (a PID 1 without a handler ignores
    # SIGTERM). The image's STOPSIGNAL is SIGINT, on which `publisher serve` shuts down
    # gracefully.
    linuxParameters = { initProcessEnabled = true }
  }

  # ...and as the service runs it.
  publisher_container = merge(local.publisher_command_container, {
    command = ["serve"]
    portMappings = [
      { containerPort = 8000, protocol = "tcp" },
      { containerPort = 9100, protocol = "tcp" },
    ]
    healthCheck = {
      command     = ["CMD-SHELL", "curl -fsS http://127.0.0.1:8000/healthz > /dev/null || exit 1"]
      interval    = 15
      timeout     = 5
      retries     = 3
      startPeriod = 20
    }
  })
}

resource "aws_ecs_task_definition" "publisher" {
  family                   = "${local.name}-publisher"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.publisher_cpu
  memory                   = var.publisher_memory
  execution_role_arn       = aws_iam_role.publisher_execution.arn
  task_role_arn            = aws_iam_role.publisher_task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  container_definitions = jsonencode([
    local.publisher_container,
    {
      # clamd with freshclam keeping its signatures current. Uploads are refused until it has
      # loaded them (a minute or two after the task starts); the rest of the publisher works.
      name             = "clamd"
      image            = var.clamav_image
      essential        = true
      logConfiguration = local.logs["clamd"]
    },
  ])

  volume {
    name = "uploads"

    efs_volume_configuration {
      file_system_id     = aws_efs_file_system.this.id
      transit_encryption = "ENABLED"

      authorization_config {
        access_point_id = aws_efs_access_point.uploads.id
        iam             = "ENABLED"
      }
    }
  }
}

# The publisher image for one-off commands (`publisher migrate`, `publisher create-user`),
# without clamd and the health check.
resource "aws_ecs_task_definition" "publisher_command" {
  family                   = "${local.name}-publisher-command"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 512
  memory                   = 1024
  execution_role_arn       = aws_iam_role.publisher_execution.arn
  task_role_arn            = aws_iam_role.publisher_task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  container_definitions = jsonencode([local.publisher_command_container])

  volume {
    name = "uploads"

    efs_volume_configuration {
      file_system_id     = aws_efs_file_system.this.id
      transit_encryption = "ENABLED"

      authorization_config {
        access_point_id = aws_efs_access_point.uploads.id
        iam             = "ENABLED"
      }
    }
  }
}

resource "aws_ecs_task_definition" "site_builder" {
  family                   = "${local.name}-site-builder"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.site_builder_cpu
  memory                   = var.site_builder_memory
  execution_role_arn       = aws_iam_role.site_builder_execution.arn
  task_role_arn            = aws_iam_role.site_builder_task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  ephemeral_storage {
    size_in_gib = var.site_builder_ephemeral_gib
  }

  container_definitions = jsonencode([
    {
      name         = "site-builder"
      image        = var.site_builder_image
      essential    = true
      command      = ["run"]
      environment  = local.site_builder_environment
      secrets      = local.site_builder_secrets
      portMappings = [{ containerPort = 9100, protocol = "tcp" }]
      mountPoints = [
        { sourceVolume = "uploads", containerPath = local.upload_dir, readOnly = true },
        { sourceVolume = "site-history", containerPath = local.site_history_dir, readOnly = false },
      ]
      # A stopped builder's claim runs out with its lease; the next claim fails that build
      # and the queue moves on (ADR 0011). The stop timeout only lets the log flush.
      stopTimeout      = 30
      linuxParameters  = { initProcessEnabled = true }
      logConfiguration = local.logs["site-builder"]
    },
  ])

  volume {
    name = "uploads"

    efs_volume_configuration {
      file_system_id     = aws_efs_file_system.this.id
      transit_encryption = "ENABLED"

      authorization_config {
        access_point_id = aws_efs_access_point.uploads.id
        iam             = "ENABLED"
      }
    }
  }

  volume {
    name = "site-history"

    efs_volume_configuration {
      file_system_id     = aws_efs_file_system.this.id
      transit_encryption = "ENABLED"

      authorization_config {
        access_point_id = aws_efs_access_point.site_history.id
        iam             = "ENABLED"
      }
    }
  }
}

resource "aws_ecs_service" "publisher" {
  name                              = "publisher"
  cluster                           = aws_ecs_cluster.this.id
  task_definition                   = aws_ecs_task_definition.publisher.arn
  desired_count                     = var.publisher_min_count
  launch_type                       = "FARGATE"
  health_check_grace_period_seconds = 60
  propagate_tags                    = "SERVICE"

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  # A release whose tasks never pass /healthz (say, migrations not run first) is rolled back.
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.publisher.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.publisher.arn
    container_name   = "publisher"
    container_port   = 8000
  }

  lifecycle {
    # Autoscaling owns the count between publisher_min_count and publisher_max_count.
    ignore_changes = [desired_count]
  }

  depends_on = [aws_lb_listener.https, aws_efs_mount_target.this]
}

resource "aws_ecs_service" "site_builder" {
  name            = "site-builder"
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.site_builder.arn
  desired_count   = var.site_builder_count
  launch_type     = "FARGATE"
  propagate_tags  = "SERVICE"

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.site_builder.id]
    assign_public_ip = false
  }

  depends_on = [aws_efs_mount_target.this]
}

# --- Publisher autoscaling ---------------------------------------------------------------------

resource "aws_appautoscaling_target" "publisher" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.publisher.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.publisher_min_count
  max_capacity       = var.publisher_max_count
}

resource "aws_appautoscaling_policy" "publisher_cpu" {
  name               = "${local.name}-publisher-cpu"
  service_namespace  = aws_appautoscaling_target.publisher.service_namespace
  resource_id        = aws_appautoscaling_target.publisher.resource_id
  scalable_dimension = aws_appautoscaling_target.publisher.scalable_dimension
  policy_type        = "TargetTrackingScaling"

  target_tracking_scaling_policy_configuration {
    target_value       = 60
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
