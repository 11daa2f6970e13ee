# Every target calls one CLI command; the logic lives in deploy.py and pipeline/.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
ENV ?= local
SERVICE ?=

CHECKOV_VENV := .local/tools/checkov

$(VENV)/.installed: requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	touch $@

# checkov's pins conflict with boto3's, so it gets a venv of its own (about 35 s once).
$(CHECKOV_VENV)/.installed: requirements/checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements/checkov.txt
	touch $@

.PHONY: help
help: ## Show this list of targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: deploy
deploy: $(VENV)/.installed ## Test, package and deploy one service: make deploy SERVICE=location [ENV=local]
	$(PY) deploy.py deploy --service "$(SERVICE)" --env $(ENV)

.PHONY: deploy-changed
deploy-changed: $(VENV)/.installed ## Deploy every service changed since its last successful deploy [ENV=local]
	$(PY) deploy.py deploy --changed --env $(ENV)

.PHONY: changed
changed: $(VENV)/.installed ## List the services deploy-changed would deploy, with reasons [ENV=local]
	$(PY) deploy.py changed --env $(ENV)

.PHONY: history
history: $(VENV)/.installed ## Show past pipeline executions [ENV=local] [SERVICE=name]
	$(PY) deploy.py history --env $(ENV) $(if $(SERVICE),--service "$(SERVICE)")

.PHONY: promote
promote: $(VENV)/.installed ## Deploy what last passed in FROM to TO, unchanged: make promote SERVICE=location FROM=dev TO=prod
	$(PY) deploy.py promote --service "$(SERVICE)" --from "$(FROM)" --to "$(TO)"

.PHONY: rollback
rollback: $(VENV)/.installed ## Move live back to an earlier recorded version: make rollback SERVICE=location ENV=prod [TO=execution]
	$(PY) deploy.py rollback --service "$(SERVICE)" --env $(ENV) $(if $(TO),--to "$(TO)")

.PHONY: bootstrap
bootstrap: $(VENV)/.installed ## Ops: create the environment's state and artifact buckets (ops/bootstrap) [ENV=local]
	$(PY) deploy.py bootstrap --env $(ENV)

.PHONY: pipelines-apply
pipelines-apply: $(VENV)/.installed ## Ops: apply ops/pipelines, one CodePipeline per service with generated triggers: make pipelines-apply ENV=dev
	$(PY) deploy.py pipelines apply --env $(ENV)

.PHONY: iam-plan
iam-plan: $(VENV)/.installed ## Ops: plan ops/iam to a saved plan and print its IAM changes [ENV=local]
	$(PY) deploy.py iam plan --env $(ENV)

.PHONY: iam-apply
iam-apply: $(VENV)/.installed ## Ops: apply exactly the reviewed iam-plan (refused if its inputs changed) [ENV=local]
	$(PY) deploy.py iam apply --env $(ENV)

.PHONY: system-deps
system-deps: ## Install chromium, chromium-driver and graphviz (console test, graph --format svg) if missing, in CI or as root
	./.ci/system-deps

.PHONY: test
test: $(VENV)/.installed $(CHECKOV_VENV)/.installed system-deps ## Run the whole test suite (starts its own emulator)
	$(PY) -m pytest

.PHONY: lock
lock: $(VENV)/.installed ## Regenerate every root's .terraform.lock.hcl from toolchain.toml's pins
	$(PY) deploy.py toolchain lock

.PHONY: emulator-stop
emulator-stop: $(VENV)/.installed ## Stop the local AWS emulator (its state is in memory and is lost)
	$(PY) deploy.py emulator stop

.PHONY: scan
scan: $(VENV)/.installed $(CHECKOV_VENV)/.installed ## Scan modules/, ops/ and every service root with checkov (offline)
	$(PY) deploy.py scan

.PHONY: invoke
invoke: $(VENV)/.installed ## Invoke a deployed function's live alias: make invoke SERVICE=location FUNCTION=get_location [EVENT=file.json]
	$(PY) deploy.py invoke --service "$(SERVICE)" --function "$(FUNCTION)" $(if $(EVENT),--event "$(EVENT)") --env $(ENV)

.PHONY: serve
serve: $(VENV)/.installed ## Local API gateway on 127.0.0.1:4580 for every deployed service (console at /_console): curl localhost:4580/<service>/<path>
	$(PY) deploy.py serve --env $(ENV)

.PHONY: logs
logs: $(VENV)/.installed ## A service's function logs in time order: make logs SERVICE=location [FUNCTION=f] [SINCE=1h] [FOLLOW=1], or CORRELATION_ID=id
	$(PY) deploy.py logs $(if $(CORRELATION_ID),--correlation-id "$(CORRELATION_ID)",--service "$(SERVICE)") $(if $(FUNCTION),--function "$(FUNCTION)") --since $(or $(SINCE),15m) $(if $(FOLLOW),--follow) --env $(ENV)

.PHONY: status
status: $(VENV)/.installed ## Per service: live versions, last execution, drift, alarms, API URL [ENV=local]
	$(PY) deploy.py status --env $(ENV)

.PHONY: graph
graph: $(VENV)/.installed ## Services, modules, libs, tables and calls as Mermaid [FORMAT=dot|svg] [OUT=file]
	$(PY) deploy.py graph --format $(or $(FORMAT),mermaid) $(if $(OUT),--out "$(OUT)")

.PHONY: watch
watch: $(VENV)/.installed ## On every saved change, test and ship a service's code (no Terraform): make watch SERVICE=location [ENV=local]
	$(PY) deploy.py watch --service "$(SERVICE)" --env $(ENV)

.PHONY: new-service
new-service: $(VENV)/.installed ## Create a service from the templates: make new-service NAME=orders
	$(PY) deploy.py new-service --name "$(NAME)"
