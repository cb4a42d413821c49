PYTHON ?= python3

.PHONY: setup demo test
setup:
	PYTHON=$(PYTHON) bash scripts/setup.sh

# The main job on the shipped example: check it, then compile it to Keras.
demo: setup
	$(PYTHON) -m netdsl check examples/iris_concat.net
	$(PYTHON) -m netdsl compile examples/iris_concat.net -o build/iris_concat.keras --summary

test: setup
	$(PYTHON) -m pytest
