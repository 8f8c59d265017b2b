import HyadesCQL

extension SelectorPlan {
    var isColumn: Bool {
        if case .column = self { return true }
        return false
    }
}
