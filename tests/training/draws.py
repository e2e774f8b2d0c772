"""Stand-in random generators for the generator's by-hand tests: one that replays given draws and records
each with its arguments, and one that hands a real generator on after a first given random()."""


class Scripted:
    """Each draw (any method: random, uniform, choice, integers, normal, …) returns the next given value, a
    callable being called with the draw's arguments, and is recorded in `calls` as (name, arguments), with
    keyword arguments last as a dict when there are any. With `then` (a real generator), draws past the
    given values are its own, still recorded."""

    def __init__(self, *values, then=None):
        self.values, self.calls, self.then = list(values), [], then

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)

        def draw(*args, **kwargs):
            self.calls.append((name, args) + ((kwargs,) if kwargs else ()))
            if not self.values and self.then is not None:
                return getattr(self.then, name)(*args, **kwargs)
            value = self.values.pop(0)
            return value(*args) if callable(value) else value
        return draw


class FirstThen:
    """A generator whose first random() is given; every other draw is the real generator's, counted in `used`."""

    def __init__(self, rng, first):
        self.rng, self.first, self.used = rng, first, 0

    def random(self, *args):
        if self.first is not None:
            first, self.first = self.first, None
            return first
        self.used += 1
        return self.rng.random(*args)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        real = getattr(self.rng, name)

        def counted(*args, **kwargs):
            self.used += 1
            return real(*args, **kwargs)
        return counted
