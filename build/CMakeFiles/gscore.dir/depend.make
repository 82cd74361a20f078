# Empty dependencies file for gscore.
# This may be replaced when dependencies are built.
