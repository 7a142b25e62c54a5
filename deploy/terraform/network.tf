# The VPC and its subnets are given (variables.tf); this file adds the security groups and the
# publisher's load balancer.

resource "aws_security_group" "alb" {
  name        = "${local.name}-alb"
  description = "Publisher load balancer: HTTPS from anywhere"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  security_group_id = aws_security_group.alb.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  security_group_id = aws_security_group.alb.id
  description       = "Redirected to HTTPS"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
}

resource "aws_vpc_security_group_egress_rule" "alb_to_publisher" {
  security_group_id            = aws_security_group.alb.id
  referenced_security_group_id = aws_security_group.publisher.id
  ip_protocol                  = "tcp"
  from_port                    = 8000
  to_port                      = 8000
}

resource "aws_security_group" "publisher" {
  name        = "${local.name}-publisher"
  description = "Publisher tasks: port 8000 from the load balancer only"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "publisher_from_alb" {
  security_group_id            = aws_security_group.publisher.id
  referenced_security_group_id = aws_security_group.alb.id
  ip_protocol                  = "tcp"
  from_port                    = 8000
  to_port                      = 8000
}

resource "aws_security_group" "site_builder" {
  name        = "${local.name}-site-builder"
  description = "Site builder tasks: nothing comes in"
  vpc_id      = var.vpc_id
}

# METRICS_ADDR (issue 7) listens on 9100 in both kinds of task.
resource "aws_vpc_security_group_ingress_rule" "metrics" {
  for_each = {
    for pair in setproduct(["publisher", "site_builder"], var.metrics_source_cidrs) :
    "${pair[0]}-${pair[1]}" => { group = pair[0], cidr = pair[1] }
  }

  security_group_id = each.value.group == "publisher" ? aws_security_group.publisher.id : aws_security_group.site_builder.id
  description       = "Prometheus scrape of /metrics"
  cidr_ipv4         = each.value.cidr
  ip_protocol       = "tcp"
  from_port         = 9100
  to_port           = 9100
}

# Tasks reach RDS and EFS (rules below) and HTTPS outside the VPC: S3, Secrets Manager,
# CloudWatch Logs, image registries, Sentry and freshclam's mirrors.
resource "aws_vpc_security_group_egress_rule" "tasks_https" {
  for_each = {
    publisher    = aws_security_group.publisher.id
    site_builder = aws_security_group.site_builder.id
  }

  security_group_id = each.value
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

# The publisher sends mail. The builder will too when its alert emails land (issue 7): add the
# same rule for it then.
resource "aws_vpc_security_group_egress_rule" "publisher_smtp" {
  security_group_id = aws_security_group.publisher.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = var.smtp_port
  to_port           = var.smtp_port
}

resource "aws_vpc_security_group_egress_rule" "tasks_to_database" {
  for_each = {
    publisher    = aws_security_group.publisher.id
    site_builder = aws_security_group.site_builder.id
  }

  security_group_id            = each.value
  referenced_security_group_id = aws_security_group.database.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_vpc_security_group_egress_rule" "tasks_to_efs" {
  for_each = {
    publisher    = aws_security_group.publisher.id
    site_builder = aws_security_group.site_builder.id
  }

  security_group_id            = each.value
  referenced_security_group_id = aws_security_group.efs.id
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
}

resource "aws_security_group" "database" {
  name        = "${local.name}-database"
  description = "PostgreSQL from the publisher and the site builder"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "database_from_tasks" {
  for_each = {
    publisher    = aws_security_group.publisher.id
    site_builder = aws_security_group.site_builder.id
  }

  security_group_id            = aws_security_group.database.id
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_security_group" "efs" {
  name        = "${local.name}-efs"
  description = "NFS from the publisher and the site builder"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "efs_from_tasks" {
  for_each = {
    publisher    = aws_security_group.publisher.id
    site_builder = aws_security_group.site_builder.id
  }

  security_group_id            = aws_security_group.efs.id
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
}

# --- The publisher's load balancer ---------------------------------------------------------

resource "aws_lb" "publisher" {
  name                       = "${local.name}-publisher"
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.alb.id]
  subnets                    = var.public_subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
}

resource "aws_lb_target_group" "publisher" {
  name                 = "${local.name}-publisher"
  port                 = 8000
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  # /healthz answers 200 when the database answers and no migration is pending, and 503
  # otherwise (publisher/src/routes/site.rs).
  health_check {
    path                = "/healthz"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.publisher.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.publisher_certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.publisher.arn
  }
}

# Metrics are for the scraper inside the VPC, never through the public load balancer.
resource "aws_lb_listener_rule" "no_public_metrics" {
  listener_arn = aws_lb_listener.https.arn
  priority     = 10

  condition {
    path_pattern {
      values = ["/metrics", "/metrics/*"]
    }
  }

  action {
    type = "fixed-response"

    fixed_response {
      content_type = "text/plain"
      message_body = "Not found"
      status_code  = "404"
    }
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.publisher.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"

    redirect {
      protocol    = "HTTPS"
      port        = "443"
      status_code = "HTTP_301"
    }
  }
}
