import HubCore
import SimdJSON
import XCTest

final class ClientCommandTests: XCTestCase {
    let parser = JSONParser()

    private func parse(_ text: String) throws -> ClientCommand {
        try parser.parse(text) { root in try ClientCommand(parsing: root) }
    }

    private func failure(_ text: String) -> ProtocolError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error as? ProtocolError
        }
    }

    func testParsesEveryOp() throws {
        let ping = try parse(#"{"id":1,"op":"ping"}"#)
        XCTAssertEqual(ping.id, 1)
        XCTAssertEqual(ping.op, .ping)
        XCTAssertEqual(try parse(#"{"op":"unsubscribe","id":2,"channel":"a.b.c"}"#).op, .unsubscribe(channel: "a.b.c"))
        let sub = try parse(#"{"id":3,"op":"subscribe","channel":"ticker.deribit.*","fields":["bid","ask"],"since":{"epoch":"e1","offset":10},"filter":null}"#)
        guard case .subscribe(let s) = sub.op else { return XCTFail("not a subscribe") }
        XCTAssertEqual(s.channel, "ticker.deribit.*")
        XCTAssertEqual(s.fields, ["bid", "ask"])
        XCTAssertEqual(s.since, .init(epoch: "e1", offset: 10))
    }

    func testErrorsNameTheFieldAndKeepTheID() {
        XCTAssertEqual(failure("[]")?.code, 1000)
        XCTAssertEqual(failure(#"{"op":"ping"}"#)?.message, "id is required")
        XCTAssertEqual(failure(#"{"id":true,"op":"ping"}"#)?.message, "id must be an integer")
        XCTAssertEqual(failure(#"{"id":5}"#)?.id, 5)
        XCTAssertEqual(failure(#"{"id":5,"op":"fly"}"#)?.code, ProtocolError.Code.unknownOp.rawValue)
        XCTAssertEqual(failure(#"{"id":5,"op":"subscribe","channel":7}"#)?.message, "channel must be a string")
        XCTAssertEqual(failure(#"{"id":5,"op":"subscribe","channel":"a.b.c","fields":[1]}"#)?.message, "fields must be an array of strings")
        XCTAssertEqual(failure(#"{"id":5,"op":"subscribe","channel":"a.b.c","since":{"offset":1}}"#)?.message, "since.epoch must be a string")
        XCTAssertEqual(
            failure(#"{"id":5,"op":"subscribe","channel":"a.b.c","since":{"epoch":"e","offset":"1"}}"#)?.message, "since.offset must be a non-negative integer")
    }

    func testFiltersParseWithTheirLimitsAndNameTheBadPart() throws {
        let sub = try parse(
            #"{"id":3,"op":"subscribe","channel":"arb.*.*","filter":{"and":[{"property":"edge","op":">","value":0.005},{"not":{"property":"kind","op":"in","value":["crypto",true,2]}},{"property":"legs","op":"exists"}]}}"#
        )
        guard case .subscribe(let s) = sub.op else { return XCTFail("not a subscribe") }
        XCTAssertEqual(
            s.filter,
            .and([
                .compare(property: "edge", op: .greater, value: .number(0.005)),
                .not(.oneOf(property: "kind", values: [.string("crypto"), .bool(true), .number(2)])), .exists(property: "legs"),
            ]))
        XCTAssertEqual(s.filter?.properties, ["edge", "kind", "legs"])
        func message(_ filter: String) -> String? { failure(#"{"id":5,"op":"subscribe","channel":"a.b.c","filter":\#(filter)}"#)?.message }
        XCTAssertEqual(failure(#"{"id":5,"op":"subscribe","channel":"a.b.c","filter":{}}"#)?.code, 1000)
        XCTAssertEqual(failure(#"{"id":5,"op":"subscribe","channel":"a.b.c","filter":{}}"#)?.id, 5)
        XCTAssertEqual(message("[]")?.hasPrefix("filter: must be an object"), true)
        XCTAssertEqual(message(#"{"bid":{"gt":1}}"#), "filter: unknown key 'bid' (a comparison has property, op and value)")
        XCTAssertEqual(message(#"{"property":"bid","op":"~","value":1}"#), "filter: op must be one of =, !=, <, <=, >, >=, in, exists")
        XCTAssertEqual(message(#"{"property":"bid","op":">","value":"1"}"#), "filter: value of > must be a number")
        XCTAssertEqual(message(#"{"property":"bid","op":"=","value":null}"#), "filter: value must be a string, number or boolean")
        XCTAssertEqual(message(#"{"property":"bid","op":"exists","value":1}"#), "filter: exists takes no value")
        XCTAssertEqual(message(#"{"property":"","op":"exists"}"#), "filter: property must be a property name")
        XCTAssertEqual(message(#"{"and":[]}"#), "filter: and must be a non-empty array of filters")
        XCTAssertEqual(message(#"{"or":[{"property":"a","op":"exists"},{"property":"b","op":"<","value":true}]}"#), "filter.or[1]: value of < must be a number")
        XCTAssertEqual(message(#"{"property":"k","op":"in","value":[1,{}]}"#), "filter.value[1]: must be a string, number or boolean")
        XCTAssertEqual(message(#"{"property":"k","op":"in","value":[]}"#)?.hasPrefix("filter: value of in must be an array"), true)
        let deep = String(repeating: #"{"not":"#, count: 8) + #"{"property":"a","op":"exists"}"# + String(repeating: "}", count: 8)
        XCTAssertEqual(message(deep), "filter" + String(repeating: ".not", count: 8) + ": a filter nests at most 8 deep")
        let wide = #"{"or":["# + Array(repeating: #"{"property":"a","op":"exists"}"#, count: 64).joined(separator: ",") + "]}"
        XCTAssertEqual(message(wide), "filter.or[63]: a filter has at most 64 parts")
        let many = #"{"property":"k","op":"in","value":["# + (0..<257).map(String.init).joined(separator: ",") + "]}"
        XCTAssertEqual(message(many)?.hasPrefix("filter: value of in must be an array of 1 to 256"), true)
    }

    func testServerMessagesAreValidJSON() throws {
        let err = ServerMessage.error(ProtocolError(.badRequest, "bad \"thing\"", id: 9))
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(err)) as? [String: Any])
        XCTAssertEqual(obj["id"] as? Int, 9)
        XCTAssertEqual((obj["error"] as? [String: Any])?["message"] as? String, "bad \"thing\"")
        let noID = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(ServerMessage.error(ProtocolError(.badRequest, "x")))) as? [String: Any])
        XCTAssertNil(noID["id"])
        let reply = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(ServerMessage.reply(id: 3, result: Array("{\"a\":1}".utf8)))) as? [String: Any])
        XCTAssertEqual((reply["result"] as? [String: Any])?["a"] as? Int, 1)
    }
}
