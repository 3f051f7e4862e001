# Example 07's tools, loaded once into the Code Interpreter session. The model's
# code calls them directly, so one code block can query every city at once.
# Static data: replace the tables with calls to real APIs in production.

_WEATHER = {
    "Seattle": {"temp_f": 58, "humidity_pct": 82, "condition": "Cloudy", "wind_mph": 12},
    "Portland": {"temp_f": 62, "humidity_pct": 75, "condition": "Partly Cloudy", "wind_mph": 8},
    "San Francisco": {"temp_f": 65, "humidity_pct": 70, "condition": "Foggy", "wind_mph": 15},
    "Los Angeles": {"temp_f": 78, "humidity_pct": 45, "condition": "Sunny", "wind_mph": 5},
    "Denver": {"temp_f": 72, "humidity_pct": 30, "condition": "Clear", "wind_mph": 10},
}

_POPULATION = {
    "Seattle": {"population": 749256, "metro_population": 4018762, "state": "WA"},
    "Portland": {"population": 652503, "metro_population": 2512859, "state": "OR"},
    "San Francisco": {"population": 808437, "metro_population": 4749008, "state": "CA"},
    "Los Angeles": {"population": 3898747, "metro_population": 13200998, "state": "CA"},
    "Denver": {"population": 713252, "metro_population": 2963821, "state": "CO"},
}

_COST_OF_LIVING = {
    "Seattle": {"index": 172, "median_rent_1br": 2100, "median_home_price": 850000},
    "Portland": {"index": 130, "median_rent_1br": 1650, "median_home_price": 550000},
    "San Francisco": {"index": 190, "median_rent_1br": 2800, "median_home_price": 1400000},
    "Los Angeles": {"index": 166, "median_rent_1br": 2400, "median_home_price": 950000},
    "Denver": {"index": 128, "median_rent_1br": 1700, "median_home_price": 580000},
}


def _lookup(table, kind, city):
    row = table.get(city)
    if row is None:
        return {"error": f"No {kind} data for {city}"}
    return dict(row)


def get_weather(city):
    """Current weather: temp_f, humidity_pct, condition, wind_mph."""
    return _lookup(_WEATHER, "weather", city)


def get_population(city):
    """Population: population, metro_population, state."""
    return _lookup(_POPULATION, "population", city)


def get_cost_of_living(city):
    """Cost of living: index (US average = 100), median_rent_1br, median_home_price."""
    return _lookup(_COST_OF_LIVING, "cost of living", city)


print("Tools loaded: get_weather(), get_population(), get_cost_of_living()")
