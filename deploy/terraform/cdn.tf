# CloudFront in front of the two site buckets: an origin group reads the primary and fails
# over to the mirror on a 5xx; a CloudFront Function asks for basic auth on staging and maps
# directory addresses to their index.html.

locals {
  basic_auth    = var.environment == "staging"
  authorization = local.basic_auth ? "Basic ${base64encode("${var.basic_auth_username}:${var.basic_auth_password}")}" : ""
}

resource "aws_cloudfront_origin_access_control" "site" {
  name                              = "${local.name}-site"
  description                       = "CloudFront reads the Almanac site buckets"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

# Note: the password ends up in the function's code and in the Terraform state. Basic auth
# keeps staging away from search engines and the public; it is not what protects data (the
# staging site holds only what production publishes).
resource "aws_cloudfront_function" "viewer_request" {
  name    = "${local.name}-viewer-request"
  runtime = "cloudfront-js-2.0"
  comment = local.basic_auth ? "basic auth and index.html" : "index.html"
  publish = true
  code    = templatefile("${path.module}/functions/viewer-request.js.tftpl", { authorization = local.authorization })

  lifecycle {
    precondition {
      condition     = !local.basic_auth || length(var.basic_auth_password) >= 16
      error_message = "Staging needs basic_auth_password (TF_VAR_basic_auth_password), of at least 16 characters."
    }
  }
}

data "aws_cloudfront_cache_policy" "optimized" {
  # Honours each object's Cache-Control: a year for hashed assets, five minutes for the rest
  # (almanac_site::cache_control_for).
  name = "Managed-CachingOptimized"
}

data "aws_cloudfront_response_headers_policy" "security" {
  name = "Managed-SecurityHeadersPolicy"
}

resource "aws_cloudfront_distribution" "site" {
  enabled             = true
  is_ipv6_enabled     = true
  http_version        = "http2and3"
  comment             = "Almanac public site (${var.environment})"
  price_class         = var.cloudfront_price_class
  aliases             = var.site_domain != "" ? [var.site_domain] : []
  default_root_object = "index.html"

  origin {
    origin_id                = "primary"
    domain_name              = aws_s3_bucket.site_primary.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.site.id
  }

  origin {
    origin_id                = "mirror"
    domain_name              = aws_s3_bucket.site_mirror.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.site.id
  }

  origin_group {
    origin_id = "site"

    failover_criteria {
      status_codes = [500, 502, 503, 504]
    }

    member {
      origin_id = "primary"
    }

    member {
      origin_id = "mirror"
    }
  }

  default_cache_behavior {
    target_origin_id           = "site"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.optimized.id
    response_headers_policy_id = data.aws_cloudfront_response_headers_policy.security.id

    function_association {
      event_type   = "viewer-request"
      function_arn = aws_cloudfront_function.viewer_request.arn
    }
  }

  # Without s3:ListBucket, S3 answers 403 for a missing object; both become the site's 404.html.
  dynamic "custom_error_response" {
    for_each = [403, 404]

    content {
      error_code            = custom_error_response.value
      response_code         = 404
      response_page_path    = "/404.html"
      error_caching_min_ttl = 60
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = var.site_domain == ""
    acm_certificate_arn            = var.site_domain != "" ? var.site_certificate_arn : null
    ssl_support_method             = var.site_domain != "" ? "sni-only" : null
    minimum_protocol_version       = var.site_domain != "" ? "TLSv1.2_2021" : null
  }
}
