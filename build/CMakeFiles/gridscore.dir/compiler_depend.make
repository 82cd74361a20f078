# Empty compiler generated dependencies file for gridscore.
# This may be replaced when dependencies are built.
