# Importing this package registers its modules; add one import line per module.
