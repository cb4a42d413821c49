"""Every diagnostic code, each defined once with its explanation.

A code is a str (so it prints, compares and serializes as "ND301") with its
explanation attached; code that reports a problem names the constant
(`codes.ADD_SHAPE_MISMATCH`), never the bare string.
"""

from __future__ import annotations

from typing import Final


class ErrorCode(str):
    """A diagnostic code such as "ND301", with its one-line explanation."""

    explanation: str

    def __new__(cls, code: str, explanation: str) -> ErrorCode:
        self = super().__new__(cls, code)
        self.explanation = explanation
        CODES[code] = self
        return self


CODES: dict[str, ErrorCode] = {}


# syntax
BAD_CHARACTER: Final = ErrorCode("ND001", "A character that cannot start any token of the language.")
UNEXPECTED_TOKEN: Final = ErrorCode("ND002", "A token where the grammar does not allow it.")
UNEXPECTED_END: Final = ErrorCode("ND003", "The file ends in the middle of a statement.")
UNCLOSED_BRACKET: Final = ErrorCode("ND004", "An opening bracket that is never closed.")
UNMATCHED_BRACKET: Final = ErrorCode("ND005", "A closing bracket with no opening bracket before it.")
KEYWORD_AS_NAME: Final = ErrorCode(
    "ND006",
    "A keyword (network, input, output, layer, compile, train, block, return, import, from, as) "
    "used as a name.",
)
CONTROL_CHARACTER: Final = ErrorCode(
    "ND007", "A control character (NUL, ESC, ...) in a string: names and strings are printable text."
)

# names and structure
UNDEFINED_NAME: Final = ErrorCode("ND101", "A name that is used but never defined.")
DUPLICATE_NAME: Final = ErrorCode("ND102", "A name defined twice.")
CYCLE: Final = ErrorCode("ND103", "Layers that feed into themselves (a cycle).")
NO_OUTPUT: Final = ErrorCode("ND104", "The spec declares no output.")
UNUSED_VALUE: Final = ErrorCode("ND105", "An input or layer whose value nothing uses (warning).")
MISPLACED_NETWORK: Final = ErrorCode("ND106", "More than one `network` line, or a misplaced one.")
BAD_INPUT_WIDTH: Final = ErrorCode(
    "ND107", "An input declared with something other than a width, a feature list or a shape."
)
CONFUSABLE_NAMES: Final = ErrorCode(
    "ND108", "Two names that look the same but differ in their letters' scripts (warning)."
)

# blocks and imports
RECURSIVE_BLOCK: Final = ErrorCode("ND110", "A block that uses itself, directly or through other blocks.")
BLOCK_OUTPUTS: Final = ErrorCode(
    "ND112", "A block without exactly one return, or names that do not match a block's outputs."
)
BAD_IMPORT: Final = ErrorCode(
    "ND113",
    "An import that cannot be resolved: no such file or block, a cycle, "
    "or a path outside the spec's directory.",
)
IMPORTED_NON_BLOCK: Final = ErrorCode("ND114", "An imported file that holds more than blocks and imports.")
UNKNOWN_TYPE: Final = ErrorCode(
    "ND120", "A feature type netdsl does not know (a record's fields are float, string or int)."
)
TYPED_FEATURE_IN_LIST: Final = ErrorCode(
    "ND121",
    "A typed feature inside brackets: brackets declare one vector of numbers; a record of "
    "typed columns is written in braces.",
)

# ops and arguments
UNKNOWN_OP: Final = ErrorCode("ND201", "An op that the registry does not know.")
ARITY: Final = ErrorCode("ND202", "An op given the wrong number of inputs.")
MISSING_ARGUMENT: Final = ErrorCode("ND203", "A required argument is missing.")
UNKNOWN_ARGUMENT: Final = ErrorCode("ND204", "An argument the op does not take.")
ARGUMENT_TYPE: Final = ErrorCode("ND205", "An argument of the wrong type.")
ARGUMENT_RANGE: Final = ErrorCode("ND206", "A numeric argument outside its allowed range.")
UNKNOWN_ACTIVATION: Final = ErrorCode("ND207", "An unknown activation function.")
DUPLICATE_ARGUMENT: Final = ErrorCode("ND208", "The same argument given twice.")
TOO_MANY_ARGUMENTS: Final = ErrorCode("ND209", "More positional arguments than the op takes.")
BAD_REPEAT: Final = ErrorCode(
    "ND210", "A repetition count (`* n`) that is not a positive integer, or on a non-layer."
)
NOT_A_LAYER: Final = ErrorCode("ND211", "A value where a layer or a name was expected.")
UNKNOWN_OPTION: Final = ErrorCode(
    "ND213", "An unknown initializer, regularizer or constraint (a layer option's value)."
)
BAD_SHARED_LAYER: Final = ErrorCode(
    "ND212", "A shared layer (`layer NAME = ...`) declared as something other than one layer op."
)
BAD_EXPRESSION: Final = ErrorCode(
    "ND214",
    "A computed argument that cannot be evaluated: a name that is not a number, an unknown "
    "function, a division by zero, the square root of a negative number, arithmetic outside an argument.",
)
NOT_INTEGRAL: Final = ErrorCode(
    "ND215", "A computed argument that comes out fractional where the argument takes an integer."
)
BAD_SIZE_REFERENCE: Final = ErrorCode(
    "ND216",
    "width() or vocab_size() of something without that size: a scalar, numbers rather than "
    "category indices, a name that is no value.",
)

# shapes
ADD_SHAPE_MISMATCH: Final = ErrorCode("ND301", "add() operands whose shapes differ.")
CONCAT_SHAPE_MISMATCH: Final = ErrorCode(
    "ND302", "concat() operands that disagree on an axis other than the last."
)
STANDARDIZE_STATS: Final = ErrorCode(
    "ND303", "standardize mean/variance that do not match the width of its input."
)
OPERAND_TYPE: Final = ErrorCode("ND304", "An operand of a dtype or rank that the op does not accept.")
MERGE_SHAPE_MISMATCH: Final = ErrorCode(
    "ND305", "Operands of an element-wise merge (multiply, subtract, ...) whose shapes do not broadcast."
)
DOT_SHAPE_MISMATCH: Final = ErrorCode("ND306", "dot() operands whose sizes differ on the axis it sums over.")
SHARED_SHAPE_MISMATCH: Final = ErrorCode(
    "ND307", "A shared layer applied to an input whose shape does not fit the weights its first use built."
)
CATEGORICAL_NOT_ENCODED: Final = ErrorCode(
    "ND320",
    "A category (a string or int column, or category indices) where numbers are needed: encode it first "
    "(one_hot, lookup -> embedding, ...).",
)
BUNDLE_NOT_JOINED: Final = ErrorCode(
    "ND321", "Several columns of a record given to a layer that takes one value: join them with concat."
)
ENCODING_OPERAND: Final = ErrorCode(
    "ND322",
    "An encoding given a value of the wrong kind (a lookup of numbers, an embedding of raw categories, "
    "discretize of text, ...).",
)
BAD_VOCABULARY: Final = ErrorCode(
    "ND323", "A vocabulary that is empty, repeats a value, or holds values of the wrong type."
)

# feature selection
UNKNOWN_FEATURE: Final = ErrorCode("ND401", "A selected feature the input does not have.")
INDEX_OUT_OF_RANGE: Final = ErrorCode("ND402", "A selected index outside the input's width.")
EMPTY_SELECTION: Final = ErrorCode("ND403", "A selection that selects nothing.")
FEATURE_SELECTED_TWICE: Final = ErrorCode("ND404", "A feature selected twice.")
NO_FEATURE_NAMES: Final = ErrorCode(
    "ND405", "Selection by feature name from a value that has no feature names."
)

# compile section
UNKNOWN_LOSS: Final = ErrorCode("ND501", "An unknown loss.")
UNKNOWN_OPTIMIZER: Final = ErrorCode("ND502", "An unknown optimizer.")
OPTIMIZER_ARGUMENT: Final = ErrorCode(
    "ND503", "An argument the optimizer does not take, or a bad value for it."
)
UNKNOWN_METRIC: Final = ErrorCode("ND504", "An unknown metric.")
UNKNOWN_OUTPUT_SETTING: Final = ErrorCode("ND505", "A per-output setting for an output that does not exist.")
OUTPUT_WITHOUT_LOSS: Final = ErrorCode("ND506", "An output with no loss when losses are given per output.")
BAD_COMPILE_SETTING: Final = ErrorCode("ND507", "A compile setting that does not exist, or one given twice.")
DUPLICATE_SECTION: Final = ErrorCode("ND508", "More than one compile (or train) line.")
BAD_TRAIN_SETTING: Final = ErrorCode("ND509", "A train setting that does not exist, or a bad value for one.")
NO_LOSS: Final = ErrorCode("ND510", "Training a spec whose compile line gives no loss.")
METRIC_LABELS: Final = ErrorCode(
    "ND511",
    "A metric that cannot be computed on the labels its output's loss is given "
    "(class indices for sparse losses, one column per class otherwise).",
)
CLASSIFICATION_METRIC: Final = ErrorCode(
    "ND512", "A classification metric (accuracy, ...) on an output trained as a regression (warning)."
)
LOGITS_MISMATCH: Final = ErrorCode(
    "ND513",
    "A probability loss on a linear output without from_logits=true, or from_logits=true on a "
    "sigmoid/softmax output (warning).",
)
UNKNOWN_MONITOR: Final = ErrorCode(
    "ND514", "A callback's monitor that training does not report (a metric the compile line has not)."
)

# data
STANDARDIZE_NO_DATA: Final = ErrorCode(
    "ND601", "A standardize layer with neither mean/variance nor data to adapt on."
)
MISSING_COLUMN: Final = ErrorCode("ND602", "A feature that the data file has no column for.")
BAD_DATA_FILE: Final = ErrorCode("ND603", "A data file that cannot be used (unreadable, empty, not numeric).")
STANDARDIZE_UNBOUND: Final = ErrorCode(
    "ND604", "A standardize layer whose input cannot be computed from named data columns."
)
OUTPUT_WITHOUT_COLUMN: Final = ErrorCode("ND605", "An output with no column of its name in the data.")
UNBOUND_INPUT: Final = ErrorCode(
    "ND606", "An input without feature names, not bound to columns with --columns, or a shaped input."
)
LABELS_DO_NOT_FIT: Final = ErrorCode(
    "ND607", "A label column that does not fit its output and loss (classes, values)."
)
TOO_FEW_ROWS: Final = ErrorCode("ND608", "Too few rows (or rows of a class) for the train/test split.")
BAD_CELL: Final = ErrorCode(
    "ND609", "A data cell that is empty, not a number, or not finite where a number is needed."
)
BAD_ROW: Final = ErrorCode("ND610", "A data row with fewer or more cells than the header has columns.")
DUPLICATE_COLUMN: Final = ErrorCode("ND611", "A data file whose header names a column twice.")
TRAINING_DIVERGED: Final = ErrorCode("ND612", "The loss became NaN or infinite during training.")
UNKNOWN_CLASS: Final = ErrorCode(
    "ND613", "A class_weight label that is not a class of the output's label column."
)
ADAPT_NO_DATA: Final = ErrorCode(
    "ND620",
    "A layer that learns from data (a vocabulary, bin boundaries, fill statistics) with no data to learn "
    "from: its sizes wait for --data.",
)
UNFILLED_MISSING: Final = ErrorCode(
    "ND621", "A missing cell in a numeric column that the model does not fill (fill(mean), ...)."
)
COLUMN_TYPE: Final = ErrorCode(
    "ND622", "A data column whose values do not fit the type its feature declares."
)
OUT_OF_VOCABULARY: Final = ErrorCode(
    "ND623",
    "A category cell a lookup without out-of-vocabulary slots (lookup(oov=0)) cannot take: a value "
    "outside its vocabulary, or a missing cell.",
)

# importing saved Keras models (netdsl import, render MODEL.keras, diff)
KERAS_VERSION: Final = ErrorCode(
    "ND701", "A saved model from a Keras version netdsl cannot read (it reads Keras 3 archives)."
)
UNSUPPORTED_LAYER: Final = ErrorCode(
    "ND702", "A layer kind netdsl cannot express (a Lambda, a custom layer, a kind with no op)."
)
UNSUPPORTED_SETTING: Final = ErrorCode(
    "ND703", "A layer setting netdsl cannot express (a custom regularizer, a frozen merge, a dtype, ...)."
)
SHARED_LAYER: Final = ErrorCode("ND704", "A layer called more than once (a shared layer).")
UNSUPPORTED_MODEL: Final = ErrorCode(
    "ND705", "A model structure netdsl cannot express (a nested model, inputs of rank above 1, ...)."
)
UNSUPPORTED_COMPILE: Final = ErrorCode(
    "ND706",
    "A compile setting netdsl cannot express (loss weights, a custom loss or metric, ...): "
    "left out, with a warning.",
)
DROPPED_SETTING: Final = ErrorCode(
    "ND707", "A setting the imported spec leaves out because it changes only training (warning)."
)

# search spaces (netdsl tune)
BAD_SEARCH_SPACE: Final = ErrorCode(
    "ND801", "A search space (choice, uniform, loguniform, randint) that is not well formed."
)
SPACE_COMBINATION: Final = ErrorCode(
    "ND802", "A combination of a search space's values that breaks a rule; the error names the combination."
)

# limits
LIMIT: Final = ErrorCode("ND901", "A size beyond netdsl's limits (units, width, parameters, layers).")
MEMORY_BUDGET: Final = ErrorCode(
    "ND902", "A model or data file estimated to need more memory than the budget (--memory-limit)."
)
