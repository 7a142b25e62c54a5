# RDS PostgreSQL 15: the primary (every write, the build queue's LISTEN/NOTIFY and row locks)
# and a read replica for DATABASE_READ_URL (issue 7: dashboards and the read API, falling back
# to the primary). Connect directly, not through a transaction-pooling proxy: the builder
# LISTENs on the channel build_requested, which such a pooler breaks.

resource "aws_db_subnet_group" "this" {
  name       = local.name
  subnet_ids = var.database_subnet_ids
}

resource "aws_db_parameter_group" "postgres15" {
  name   = "${local.name}-postgres15"
  family = "postgres15"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  # Statements slower than a second are logged (CloudWatch, below).
  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }
}

resource "aws_db_instance" "primary" {
  identifier     = local.name
  engine         = "postgres"
  engine_version = "15"
  instance_class = var.db_instance_class

  allocated_storage     = var.db_allocated_storage_gib
  max_allocated_storage = var.db_max_allocated_storage_gib
  storage_type          = "gp3"
  storage_encrypted     = true

  db_name  = "almanac"
  username = "almanac_admin"
  # RDS keeps the master password in Secrets Manager and rotates it; it never enters the
  # Terraform state. The applications use their own role (doc/deploy.md, first install).
  manage_master_user_password = true

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.database.id]
  parameter_group_name   = aws_db_parameter_group.postgres15.name
  multi_az               = var.db_multi_az
  publicly_accessible    = false

  backup_retention_period    = var.db_backup_retention_days
  backup_window              = "01:00-02:00"
  maintenance_window         = "sun:03:00-sun:04:00"
  copy_tags_to_snapshot      = true
  auto_minor_version_upgrade = true
  deletion_protection        = var.deletion_protection
  skip_final_snapshot        = !var.deletion_protection
  final_snapshot_identifier  = var.deletion_protection ? "${local.name}-final" : null

  performance_insights_enabled    = true
  enabled_cloudwatch_logs_exports = ["postgresql"]
}

resource "aws_db_instance" "replica" {
  identifier          = "${local.name}-replica"
  replicate_source_db = aws_db_instance.primary.identifier
  instance_class      = var.db_replica_instance_class

  # Storage type and encryption come from the primary.
  vpc_security_group_ids = [aws_security_group.database.id]
  parameter_group_name   = aws_db_parameter_group.postgres15.name
  publicly_accessible    = false

  # A replica has no backups of its own; the primary's cover it.
  backup_retention_period    = 0
  auto_minor_version_upgrade = true
  deletion_protection        = var.deletion_protection
  skip_final_snapshot        = true

  performance_insights_enabled = true
}
