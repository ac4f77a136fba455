import HubCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// libm through one door, so model code reads as math.
@inline(__always) func _log(_ x: Double) -> Double { log(x) }
@inline(__always) func _exp(_ x: Double) -> Double { exp(x) }
@inline(__always) func _cos(_ x: Double) -> Double { cos(x) }
@inline(__always) func _erf(_ x: Double) -> Double { erf(x) }

/// Standard normal cumulative distribution.
@inline(__always) func normalCDF(_ x: Double) -> Double { 0.5 * (1 + _erf(x / 2.0.squareRoot())) }
/// Standard normal density.
@inline(__always) func normalPDF(_ x: Double) -> Double { _exp(-0.5 * x * x) / (2 * Double.pi).squareRoot() }

/// Rounds to a multiple of `step` (tick sizes), landing on the double nearest the decimal value
/// (so 0.018 prints as 0.018, not 0.018000000000000002).
func roundTo(_ x: Double, _ step: Double) -> Double {
    let q = (x / step).rounded()
    var scale = 1.0
    while (step * scale).rounded() != step * scale && scale < 1e12 { scale *= 10 }
    return (q * (step * scale).rounded()) / scale
}
