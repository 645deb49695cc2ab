"""Pure assessment core: criteria files, indicator types, scoring. No Flask, no database."""
