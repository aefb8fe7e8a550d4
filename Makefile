# The README's two quick-start commands: `make demo` (a real smoke sweep and its report) and `make test`.
# Both create .venv on first use (python -m venv + pip: the torch wheels on the dev machines are
# found by pip, not by uv or poetry) and reuse it afterwards.
PYTHON ?= python3
VENV ?= .venv
STORAGE ?= results
NAME := smoke_$(shell date +%Y-%m-%d_%H-%M-%S)

.PHONY: demo test test-fast benchmark soak gpu-check

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -e ".[test]"
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/python tune_gan/sweep.py --preset smoke --storage-path $(STORAGE) --name $(NAME)
	$(VENV)/bin/python analysis/report.py $(STORAGE)/$(NAME)

test: $(VENV)/.installed
	$(VENV)/bin/python -m pytest

test-fast: $(VENV)/.installed
	$(VENV)/bin/python -m pytest -m "not slow"

benchmark: $(VENV)/.installed
	$(VENV)/bin/python benchmarks/throughput.py

soak: $(VENV)/.installed
	$(VENV)/bin/python -m benchmarks.soak

gpu-check: $(VENV)/.installed
	$(VENV)/bin/python -m benchmarks.gpu_check
