"""Random inputs and targets for the small networks the tests check."""



def random_inputs_and_targets(sizes, m, output, rng):
    """X : (sizes[0], m) standard normal; Y: integer labels for softmax, else uniform targets."""
    X = rng.normal(size=(sizes[0], m))
    if output == "softmax":
        Y = rng.integers(0, sizes[-1], size=m)
    else:
        Y = rng.uniform(size=(sizes[-1], m))
    return X, Y
