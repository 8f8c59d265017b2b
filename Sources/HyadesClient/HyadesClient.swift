// HyadesClient: see docs/architecture.md for this module's job and what it may import.
// It starts empty; the issue that builds it fills it in.
public enum HyadesClientModule {
    public static let name = "HyadesClient"
}
