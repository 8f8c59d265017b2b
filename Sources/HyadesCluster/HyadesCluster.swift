// HyadesCluster: see docs/architecture.md for this module's job and what it may import.
// It starts empty; the issue that builds it fills it in.
public enum HyadesClusterModule {
    public static let name = "HyadesCluster"
}
