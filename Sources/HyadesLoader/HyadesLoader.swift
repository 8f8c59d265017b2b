// HyadesLoader: see docs/architecture.md for this module's job and what it may import.
// It starts empty; the issue that builds it fills it in.
public enum HyadesLoaderModule {
    public static let name = "HyadesLoader"
}
