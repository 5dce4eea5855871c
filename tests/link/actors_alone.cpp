// Built against every object of redis_toolkit_actors and nothing of the fronts (src/): it links
// only while the actors depend on the core and CAF alone, never back on the facades.
int main() { return 0; }
