provider "aws" {
  region = "us-east-1"
}

# Errors and throttles of two functions, read throttles of their table.
module "alarms" {
  source = "../.."

  function_names   = ["example-orders-get_order", "example-orders-put_order"]
  error_thresholds = { "example-orders-put_order" = 5 }
  table_names      = ["example-orders"]
  period_s         = 300
  alarm_actions    = [] # e.g. an SNS topic ops own
}
