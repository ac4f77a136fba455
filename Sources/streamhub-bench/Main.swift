import Foundation
print("bench TODO")
