PYTHON ?= python3

.PHONY: setup demo test docs
setup:
	PYTHON=$(PYTHON) bash scripts/setup.sh

# The main job on the shipped example: check it, then compile it to Keras.
demo: setup
	$(PYTHON) -m netdsl check examples/iris_concat.net
	$(PYTHON) -m netdsl compile examples/iris_concat.net -o build/iris_concat.keras --summary
	$(PYTHON) -m netdsl render examples/iris_concat.net -o build/iris_concat.svg
	@echo "demo: the model is build/iris_concat.keras, its diagram build/iris_concat.svg"

# The diagrams shown in the README.
docs:
	$(PYTHON) -m netdsl render examples/iris_concat.net -o docs/iris_concat.svg
	$(PYTHON) -m netdsl render examples/iris_add.net -o docs/iris_add.svg
	$(PYTHON) -m netdsl render examples/iris_feature_groups.net -o docs/iris_feature_groups.svg

test: setup
	$(PYTHON) -m pytest
