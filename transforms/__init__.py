"""Pure transforms: DataFrame in, DataFrame out. No clock, no environment, no files."""
