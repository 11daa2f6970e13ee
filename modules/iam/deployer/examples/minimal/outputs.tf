output "role_name" {
  description = "The module's role_name."
  value       = module.deployer.role_name
}
