"""Express-outlet batch: an Excel roster in, premiums, totals per outlet and an error report out."""
