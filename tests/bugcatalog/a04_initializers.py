"""Bug catalog for 04_initializers: wrong initializers the statistical tests must catch, and
valid alternatives (other ways to draw the same distribution) they must accept."""

import math

import numpy as np

from .registry import alternative, bug

ASSIGNMENT = "04_initializers"


# ---------------------------------------------------------------- zeros_init

@bug("zeros_init", "shape transposed: (fan_out, fan_in)", diagnosis='transposed')
def zeros_transposed(fan_in, fan_out, rng):
    return np.zeros((fan_out, fan_in))


@bug("zeros_init", "integer zeros (dtype=int)", diagnosis='integer dtype')
def zeros_int(fan_in, fan_out, rng):
    return np.zeros((fan_in, fan_out), dtype=int)


@bug("zeros_init", "a flat vector of fan_in * fan_out zeros", diagnosis='2-d')
def zeros_flat(fan_in, fan_out, rng):
    return np.zeros(fan_in * fan_out)


@bug("zeros_init", "float32 zeros (the contract is float64; init_mlp casts)", diagnosis='dtype')
def zeros_float32(fan_in, fan_out, rng):
    return np.zeros((fan_in, fan_out), dtype=np.float32)


@bug("zeros_init", "a tiny constant instead of zero, 'to avoid exact zeros'", diagnosis='all zeros')
def zeros_epsilon(fan_in, fan_out, rng):
    return np.full((fan_in, fan_out), 1e-8)


@alternative("zeros_init", "np.full with 0.0")
def zeros_full(fan_in, fan_out, rng):
    return np.full((fan_in, fan_out), 0.0)


@alternative("zeros_init", "zeros_like of a float64 array of the right shape, without drawing")
def zeros_like(fan_in, fan_out, rng):
    return np.zeros_like(np.empty((fan_in, fan_out)))


# ---------------------------------------------------------------- normal_init

@bug("normal_init", "ignores std: always 0.01", diagnosis='ignored')
def normal_ignores_std(fan_in, fan_out, rng, std=0.01):
    return rng.normal(0.0, 0.01, size=(fan_in, fan_out))


@bug("normal_init", "treats std as a variance: scale sqrt(std)", diagnosis='as a variance')
def normal_sqrt_std(fan_in, fan_out, rng, std=0.01):
    return rng.normal(0.0, np.sqrt(std), size=(fan_in, fan_out))


@bug("normal_init", "passes std as the first argument of rng.normal, which is the mean (loc)", diagnosis='is the mean')
def normal_std_as_loc(fan_in, fan_out, rng, std=0.01):
    return rng.normal(std, size=(fan_in, fan_out))


@bug("normal_init", "uses the global np.random state instead of rng", diagnosis='global state')
def normal_global_state(fan_in, fan_out, rng, std=0.01):
    return np.random.normal(0.0, std, size=(fan_in, fan_out))


@bug("normal_init", "seeds its own generator, ignoring rng", diagnosis='fixed seed')
def normal_fixed_seed(fan_in, fan_out, rng, std=0.01):
    return np.random.default_rng(0).normal(0.0, std, size=(fan_in, fan_out))


@bug("normal_init", "shape transposed: (fan_out, fan_in)", diagnosis='transposed')
def normal_transposed(fan_in, fan_out, rng, std=0.01):
    return rng.normal(0.0, std, size=(fan_out, fan_in))


@bug("normal_init", "uniform on [0, 1) times std (rng.random instead of rng.standard_normal)", diagnosis='rng.random')
def normal_uses_random(fan_in, fan_out, rng, std=0.01):
    return rng.random((fan_in, fan_out)) * std


@alternative("normal_init", "rng.standard_normal scaled by std")
def normal_standard(fan_in, fan_out, rng, std=0.01):
    return std * rng.standard_normal((fan_in, fan_out))


@alternative("normal_init", "Box-Muller from rng.random (no rng.normal, no scipy)")
def normal_box_muller(fan_in, fan_out, rng, std=0.01):
    u1 = 1.0 - rng.random((fan_in, fan_out))  # in (0, 1], so the log is finite
    u2 = rng.random((fan_in, fan_out))
    return std * np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)



# ---------------------------------------------------------------- xavier_uniform

@bug("xavier_uniform", "the sqrt(6) is missing: a = sqrt(1 / (fan_in + fan_out))", diagnosis='factor 6')
def xavier_uniform_no_six(fan_in, fan_out, rng):
    a = np.sqrt(1.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=(fan_in, fan_out))


@bug("xavier_uniform", "the Xavier std sqrt(2 / (fan_in + fan_out)) used as the bound", diagnosis='standard deviation used as the bound')
def xavier_uniform_std_as_bound(fan_in, fan_out, rng):
    a = np.sqrt(2.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=(fan_in, fan_out))


@bug("xavier_uniform", "uniform on [0, a) instead of [-a, a)", diagnosis='>= 0')
def xavier_uniform_half(fan_in, fan_out, rng):
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return a * rng.random((fan_in, fan_out))


@bug("xavier_uniform", "He's bound sqrt(6 / fan_in) (fan_out forgotten)", diagnosis="He's bound")
def xavier_uniform_fan_in_only(fan_in, fan_out, rng):
    a = np.sqrt(6.0 / fan_in)
    return rng.uniform(-a, a, size=(fan_in, fan_out))


@bug("xavier_uniform", "a normal with the Xavier variance instead of a uniform", diagnosis='normal')
def xavier_uniform_is_normal(fan_in, fan_out, rng):
    return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=(fan_in, fan_out))


@bug("xavier_uniform", "uses the global np.random state instead of rng", diagnosis='global state')
def xavier_uniform_global_state(fan_in, fan_out, rng):
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return np.random.uniform(-a, a, size=(fan_in, fan_out))


@bug("xavier_uniform", "shape transposed: (fan_out, fan_in)", diagnosis='transposed')
def xavier_uniform_transposed(fan_in, fan_out, rng):
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=(fan_out, fan_in))


@alternative("xavier_uniform", "2a * rng.random - a")
def xavier_uniform_affine(fan_in, fan_out, rng):
    a = math.sqrt(6.0 / (fan_in + fan_out))
    return 2 * a * rng.random((fan_in, fan_out)) - a


@alternative("xavier_uniform", "a * (2u - 1) with keyword arguments and math.sqrt")
def xavier_uniform_scaled(fan_in, fan_out, rng):
    a = math.sqrt(6) / math.sqrt(fan_in + fan_out)
    return a * (2.0 * rng.random(size=(fan_in, fan_out)) - 1.0)



# ---------------------------------------------------------------- xavier_normal

@bug("xavier_normal", "variance used as the std (sqrt missing)", diagnosis='used as the standard deviation')
def xavier_normal_variance(fan_in, fan_out, rng):
    return rng.normal(0.0, 2.0 / (fan_in + fan_out), size=(fan_in, fan_out))


@bug("xavier_normal", "the factor 2 is missing: std sqrt(1 / (fan_in + fan_out))", diagnosis='factor 2')
def xavier_normal_no_two(fan_in, fan_out, rng):
    return rng.normal(0.0, np.sqrt(1.0 / (fan_in + fan_out)), size=(fan_in, fan_out))


@bug("xavier_normal", "a uniform with the right variance instead of a normal", diagnosis='uniform')
def xavier_normal_is_uniform(fan_in, fan_out, rng):
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=(fan_in, fan_out))


@bug("xavier_normal", "np.random.randn (global state) scaled by the std", diagnosis='global state')
def xavier_normal_randn(fan_in, fan_out, rng):
    return np.random.randn(fan_in, fan_out) * np.sqrt(2.0 / (fan_in + fan_out))


@bug("xavier_normal", "shape transposed: (fan_out, fan_in)", diagnosis='transposed')
def xavier_normal_transposed(fan_in, fan_out, rng):
    return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=(fan_out, fan_in))


@bug("xavier_normal", "draws from a copy of rng, so rng never advances", diagnosis='copy')
def xavier_normal_copy(fan_in, fan_out, rng):
    import copy
    return copy.deepcopy(rng).normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=(fan_in, fan_out))


@alternative("xavier_normal", "rng.standard_normal times the std")
def xavier_normal_standard(fan_in, fan_out, rng):
    return rng.standard_normal((fan_in, fan_out)) * math.sqrt(2.0 / (fan_in + fan_out))


@alternative("xavier_normal", "Box-Muller from rng.random (no rng.normal, no scipy)")
def xavier_normal_box_muller(fan_in, fan_out, rng):
    u1 = 1.0 - rng.random((fan_in, fan_out))
    u2 = rng.random((fan_in, fan_out))
    z = np.sqrt(-2.0 * np.log(u1)) * np.sin(2.0 * np.pi * u2)
    return z * np.sqrt(2.0 / (fan_in + fan_out))


# ---------------------------------------------------------------- he_uniform

@bug("he_uniform", "fan_out instead of fan_in: a = sqrt(6 / fan_out)", diagnosis='scales by fan_in')
def he_uniform_fan_out(fan_in, fan_out, rng):
    a = np.sqrt(6.0 / fan_out)
    return rng.uniform(-a, a, size=(fan_in, fan_out))


@bug("he_uniform", "He's std sqrt(2 / fan_in) used as the bound (sqrt(3) missing)", diagnosis='standard deviation used as the bound')
def he_uniform_std_as_bound(fan_in, fan_out, rng):
    a = np.sqrt(2.0 / fan_in)
    return rng.uniform(-a, a, size=(fan_in, fan_out))


@bug("he_uniform", "uniform on [0, a) instead of [-a, a)", diagnosis='>= 0')
def he_uniform_half(fan_in, fan_out, rng):
    return rng.uniform(0.0, np.sqrt(6.0 / fan_in), size=(fan_in, fan_out))


@bug("he_uniform", "the square root is missing: a = 6 / fan_in", diagnosis='square root is missing')
def he_uniform_no_sqrt(fan_in, fan_out, rng):
    a = 6.0 / fan_in
    return rng.uniform(-a, a, size=(fan_in, fan_out))


@bug("he_uniform", "uses the global np.random state instead of rng", diagnosis='global state')
def he_uniform_global_state(fan_in, fan_out, rng):
    a = np.sqrt(6.0 / fan_in)
    return np.random.uniform(-a, a, size=(fan_in, fan_out))


@bug("he_uniform", "seeds the global state from rng, then draws from np.random (caught "
                   "in-process only: a sandbox's global state is its own)", diagnosis='global random state')
def he_uniform_reseeds_global(fan_in, fan_out, rng):
    np.random.seed(int(rng.integers(2**31)))
    a = np.sqrt(6.0 / fan_in)
    return np.random.uniform(-a, a, size=(fan_in, fan_out))


@alternative("he_uniform", "2a * rng.random - a")
def he_uniform_affine(fan_in, fan_out, rng):
    a = np.sqrt(6.0 / fan_in)
    return 2 * a * rng.random((fan_in, fan_out)) - a


@alternative("he_uniform", "sqrt(3) * std * (2u - 1): the bound from the variance")
def he_uniform_from_std(fan_in, fan_out, rng):
    std = math.sqrt(2.0 / fan_in)
    return math.sqrt(3.0) * std * rng.uniform(-1.0, 1.0, size=(fan_in, fan_out))


# ---------------------------------------------------------------- he_normal

@bug("he_normal", "fan_out instead of fan_in: std sqrt(2 / fan_out)", diagnosis='scales by fan_in')
def he_normal_fan_out(fan_in, fan_out, rng):
    return rng.normal(0.0, np.sqrt(2.0 / fan_out), size=(fan_in, fan_out))


@bug("he_normal", "variance used as the std (sqrt missing)", diagnosis='used as the standard deviation')
def he_normal_variance(fan_in, fan_out, rng):
    return rng.normal(0.0, 2.0 / fan_in, size=(fan_in, fan_out))


@bug("he_normal", "the factor 2 is missing: std sqrt(1 / fan_in)", diagnosis='factor 2')
def he_normal_no_two(fan_in, fan_out, rng):
    return rng.normal(0.0, np.sqrt(1.0 / fan_in), size=(fan_in, fan_out))


@bug("he_normal", "np.random.randn(fan_in, fan_out) * sqrt(2 / fan_in): the global state", diagnosis='global state')
def he_normal_randn(fan_in, fan_out, rng):
    return np.random.randn(fan_in, fan_out) * np.sqrt(2.0 / fan_in)


@bug("he_normal", "shape transposed: (fan_out, fan_in)", diagnosis='transposed')
def he_normal_transposed(fan_in, fan_out, rng):
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_out, fan_in))


@bug("he_normal", "one column drawn and broadcast to every unit (identical units)", diagnosis='every column is the same')
def he_normal_one_column(fan_in, fan_out, rng):
    column = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, 1))
    return column * np.ones((1, fan_out))


@bug("he_normal", "an unseeded np.random.default_rng() instead of rng", diagnosis='without a seed')
def he_normal_unseeded(fan_in, fan_out, rng):
    return np.random.default_rng().normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))


@alternative("he_normal", "rng.standard_normal times sqrt(2 / fan_in)")
def he_normal_standard(fan_in, fan_out, rng):
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)



@alternative("he_normal", "rng.normal with keyword arguments only")
def he_normal_keywords(fan_in, fan_out, rng):
    return rng.normal(loc=0.0, scale=(2.0 / fan_in) ** 0.5, size=(fan_in, fan_out))


@alternative("he_normal", "Box-Muller pairs from rng.random (no rng.normal, no scipy)")
def he_normal_box_muller(fan_in, fan_out, rng):
    n = fan_in * fan_out
    pairs = (n + 1) // 2
    radius = np.sqrt(-2.0 * np.log(1.0 - rng.random(pairs)))
    angle = 2.0 * np.pi * rng.random(pairs)
    z = np.concatenate([radius * np.cos(angle), radius * np.sin(angle)])[:n]
    return z.reshape(fan_in, fan_out) * np.sqrt(2.0 / fan_in)


# ---------------------------------------------------------------- init_mlp

@bug("init_mlp", "biases start at 0.01 ('so that ReLUs start active')", diagnosis='start at zero')
def init_mlp_positive_bias(layer_sizes, init, rng, dtype=np.float32):
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:]), start=1):
        params[f"W{layer}"] = init(fan_in, fan_out, rng).astype(dtype)
        params[f"b{layer}"] = np.full(fan_out, 0.01, dtype=dtype)
    return params


@bug("init_mlp", "layer keys off by one: W0, b0, W1, ...", diagnosis='count from 1')
def init_mlp_keys_from_zero(layer_sizes, init, rng, dtype=np.float32):
    params = {}
    for layer in range(len(layer_sizes) - 1):
        params[f"W{layer}"] = init(layer_sizes[layer], layer_sizes[layer + 1], rng).astype(dtype)
        params[f"b{layer}"] = np.zeros(layer_sizes[layer + 1], dtype=dtype)
    return params


@bug("init_mlp", "one matrix reused for every layer of the same shape (dict.setdefault cache)", diagnosis='same matrix')
def init_mlp_reuses_matrix(layer_sizes, init, rng, dtype=np.float32):
    params, drawn = {}, {}
    for layer, (fan_in, fan_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:]), start=1):
        W = drawn.setdefault((fan_in, fan_out), init(fan_in, fan_out, rng))
        params[f"W{layer}"] = W.astype(dtype)
        params[f"b{layer}"] = np.zeros(fan_out, dtype=dtype)
    return params


@bug("init_mlp", "ignores dtype: float64 arrays", diagnosis='dtype')
def init_mlp_ignores_dtype(layer_sizes, init, rng, dtype=np.float32):
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:]), start=1):
        params[f"W{layer}"] = init(fan_in, fan_out, rng)
        params[f"b{layer}"] = np.zeros(fan_out)
    return params


@bug("init_mlp", "a fresh np.random.default_rng(0) for every layer instead of rng", diagnosis='not with the rng')
def init_mlp_fresh_rng(layer_sizes, init, rng, dtype=np.float32):
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:]), start=1):
        params[f"W{layer}"] = init(fan_in, fan_out, np.random.default_rng(0)).astype(dtype)
        params[f"b{layer}"] = np.zeros(fan_out, dtype=dtype)
    return params


@bug("init_mlp", "a child generator per layer (default_rng(rng.integers(...))) instead of rng", diagnosis='not with the rng')
def init_mlp_child_rng(layer_sizes, init, rng, dtype=np.float32):
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:]), start=1):
        child = np.random.default_rng(rng.integers(2**32))
        params[f"W{layer}"] = init(fan_in, fan_out, child).astype(dtype)
        params[f"b{layer}"] = np.zeros(fan_out, dtype=dtype)
    return params


@bug("init_mlp", "biases of shape (1, fan_out)", diagnosis='axis of size 1')
def init_mlp_bias_row(layer_sizes, init, rng, dtype=np.float32):
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:]), start=1):
        params[f"W{layer}"] = init(fan_in, fan_out, rng).astype(dtype)
        params[f"b{layer}"] = np.zeros((1, fan_out), dtype=dtype)
    return params


@bug("init_mlp", "PyTorch's (out, in) habit: init(fan_out, fan_in, rng).T", diagnosis='(fan_in, fan_out)')
def init_mlp_transposed_call(layer_sizes, init, rng, dtype=np.float32):
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:]), start=1):
        params[f"W{layer}"] = init(fan_out, fan_in, rng).T.astype(dtype)
        params[f"b{layer}"] = np.zeros(fan_out, dtype=dtype)
    return params


@bug("init_mlp", "draws the biases from rng too, then zeroes them (shifts every later layer)", diagnosis='once per layer')
def init_mlp_draws_biases(layer_sizes, init, rng, dtype=np.float32):
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:]), start=1):
        params[f"W{layer}"] = init(fan_in, fan_out, rng).astype(dtype)
        params[f"b{layer}"] = (0.0 * init(1, fan_out, rng)[0]).astype(dtype)
    return params


@alternative("init_mlp", "index loop over range(1, len(layer_sizes)) with np.asarray casts")
def init_mlp_indexed(layer_sizes, init, rng, dtype=np.float32):
    sizes = list(layer_sizes)
    params = {}
    for layer in range(1, len(sizes)):
        params[f"W{layer}"] = np.asarray(init(sizes[layer - 1], sizes[layer], rng), dtype=dtype)
        params[f"b{layer}"] = np.zeros((sizes[layer],), dtype)
    return params


@alternative("init_mlp", "all weights first, then a dict comprehension for the biases")
def init_mlp_two_passes(layer_sizes, init, rng, dtype=np.float32):
    weights = [init(a, b, rng).astype(dtype, copy=False)
               for a, b in zip(layer_sizes, layer_sizes[1:])]
    params = {f"W{k}": W for k, W in enumerate(weights, 1)}
    params.update({f"b{k}": np.zeros(W.shape[1], dtype=dtype) for k, W in enumerate(weights, 1)})
    return params


# ---------------------------------------------------------- checkpoint_preactivation_variance
# n_in = 200 inputs of mean 0.5 and variance 0.75, weights of variance 0.004:
# Var[z] = n_in E[h^2] Var[W] = 200 * (0.75 + 0.25) * 0.004 = 0.8

@bug("checkpoint_preactivation_variance", "Var[h] in place of E[h^2] (the inputs are not centered)", diagnosis='E[h^2]')
def preactivation_var_h():
    return 200 * 0.75 * 0.004


@bug("checkpoint_preactivation_variance", "the sum over the n_in inputs forgotten", diagnosis='sum over')
def preactivation_one_term():
    return (0.75 + 0.5 ** 2) * 0.004


@bug("checkpoint_preactivation_variance", "the standard deviation of W where its variance belongs", diagnosis='standard deviation of W')
def preactivation_std_w():
    return 200 * (0.75 + 0.5 ** 2) * 0.004 ** 0.5


@bug("checkpoint_preactivation_variance", "the mean of h added instead of its square: Var[h] + E[h]", diagnosis='its square')
def preactivation_mean_not_squared():
    return 200 * (0.75 + 0.5) * 0.004


@bug("checkpoint_preactivation_variance", "a list of one number instead of the number",
     diagnosis="single number")
def preactivation_list():
    return [0.8]


@alternative("checkpoint_preactivation_variance", "the product written out as an expression")
def preactivation_expression():
    return 200 * (0.75 + 0.5 ** 2) * 0.004


@alternative("checkpoint_preactivation_variance", "a 0-d NumPy array")
def preactivation_array():
    return np.array(0.8)


# ------------------------------------------------------------------ checkpoint_xavier_scales
# fan_in = 120, fan_out = 80: Var = 2 / 200 = 0.01, std 0.1, bound sqrt(0.03)

@bug("checkpoint_xavier_scales", "[bound, std]: the order swapped", diagnosis='swapped')
def xavier_scales_swapped():
    return [0.03 ** 0.5, 0.1]


@bug("checkpoint_xavier_scales", "He's variance 2 / fan_in for a tanh layer", diagnosis="He's scale")
def xavier_scales_he():
    return [(2 / 120) ** 0.5, (6 / 120) ** 0.5]


@bug("checkpoint_xavier_scales", "the factor 2 forgotten: Var = 1 / (fan_in + fan_out)", diagnosis='factor 2')
def xavier_scales_no_two():
    return [(1 / 200) ** 0.5, (3 / 200) ** 0.5]


@bug("checkpoint_xavier_scales", "the bound equal to the std (Var[U(-a, a)] taken as a^2)", diagnosis='bound equals the standard deviation')
def xavier_scales_bound_is_std():
    return [0.1, 0.1]


@bug("checkpoint_xavier_scales", "the square roots forgotten: the variances 0.01 and 0.03", diagnosis='square roots')
def xavier_scales_no_sqrt():
    return [0.01, 0.03]


@bug("checkpoint_xavier_scales", "the bound rounded to three digits (0.173)", diagnosis='digits')
def xavier_scales_rounded():
    return [0.1, 0.173]


@alternative("checkpoint_xavier_scales", "math.sqrt of the exact fractions, as a tuple")
def xavier_scales_math():
    import math
    return (math.sqrt(2 / (120 + 80)), math.sqrt(6 / (120 + 80)))


@alternative("checkpoint_xavier_scales", "the bound to 8 digits, as a NumPy array")
def xavier_scales_digits():
    return np.array([0.1, 0.17320508])


# ---------------------------------------------------------------------- checkpoint_he_scales
# fan_in = 50 (fan_out = 200): Var = 2 / 50 = 0.04, std 0.2, bound sqrt(0.12)

@bug("checkpoint_he_scales", "fan_out in place of fan_in", diagnosis='scales by fan_in')
def he_scales_fan_out():
    return [(2 / 200) ** 0.5, (6 / 200) ** 0.5]


@bug("checkpoint_he_scales", "the factor 2 for ReLU forgotten", diagnosis='factor 2')
def he_scales_no_two():
    return [(1 / 50) ** 0.5, (3 / 50) ** 0.5]


@bug("checkpoint_he_scales", "the square roots forgotten", diagnosis='square roots')
def he_scales_no_sqrt():
    return [0.04, 0.12]


@bug("checkpoint_he_scales", "Xavier's scale for these fans", diagnosis="Xavier's scale")
def he_scales_xavier():
    return [(2 / 250) ** 0.5, (6 / 250) ** 0.5]


@bug("checkpoint_he_scales", "the bound from a = 3 Var (its square root forgotten)", diagnosis='square root')
def he_scales_bound_no_sqrt():
    return [0.2, 0.12]


@alternative("checkpoint_he_scales", "computed from the variance in NumPy")
def he_scales_numpy():
    variance = 2 / 50
    return np.sqrt([variance, 3 * variance])


@alternative("checkpoint_he_scales", "decimals with 7 significant digits")
def he_scales_decimals():
    return [0.2, 0.3464102]


# ---------------------------------------------------------------- init_mlp (issue 16)

@bug("init_mlp", "random biases drawn from rng (rng.standard_normal) and nothing cast to dtype: "
     "the biases must be named, not the dtype", diagnosis="start at zero")
def init_mlp_random_biases_uncast(layer_sizes, init, rng, dtype=np.float32):
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:]), start=1):
        params[f"W{layer}"] = init(fan_in, fan_out, rng)
        params[f"b{layer}"] = rng.standard_normal(fan_out)
    return params
