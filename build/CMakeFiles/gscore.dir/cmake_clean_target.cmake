file(REMOVE_RECURSE
  "libgscore.a"
)
