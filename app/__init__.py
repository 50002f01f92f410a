"""examreg domain: settings, entities, rules and services."""
