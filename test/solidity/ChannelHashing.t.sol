// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {ChannelHashing} from "../../contracts/libraries/ChannelHashing.sol";
import {ChannelHashingHarness} from "../../contracts/test/ChannelHashingHarness.sol";
import {AssetState, ChannelState} from "../../contracts/types/ChannelTypes.sol";
import {TestBase} from "./utils/TestBase.sol";

contract ChannelHashingTest is TestBase {
    ChannelHashingHarness internal harness;
    uint256 internal constant ALICE_KEY = 0xA11CE;
    address internal constant CHANNEL = address(0xC0FFEE);

    function setUp() public {
        harness = new ChannelHashingHarness();
    }

    function _state(uint256 nonce, uint256 balanceAlice) internal pure returns (ChannelState memory s) {
        s.nonce = nonce;
        s.timeout = 1 days;
        s.transfersRoot = bytes32(0);
        s.assets = new AssetState[](1);
        s.assets[0] = AssetState(address(0), balanceAlice, 2 ether, 1 ether, 2 ether, 1);
    }

    function test_typehashes_matchTheirTypeStrings() public pure {
        assertEq(
            ChannelHashing.DOMAIN_TYPEHASH,
            keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
            "domain typehash"
        );
        assertEq(
            ChannelHashing.CHANNEL_STATE_TYPEHASH,
            keccak256(
                "ChannelState(uint256 nonce,uint256 timeout,bytes32 transfersRoot,AssetState[] assets)"
                "AssetState(address asset,uint256 balanceAlice,uint256 balanceBob,"
                "uint256 processedAlice,uint256 processedBob,uint256 defundNonce)"
            ),
            "channel state typehash"
        );
    }

    function test_recoverChannelStateSigner_returnsTheSigner() public view {
        ChannelState memory s = _state(7, 1 ether);
        bytes memory sig = signDigest(ALICE_KEY, harness.channelStateDigest(CHANNEL, s));
        assertEq(harness.recoverChannelStateSigner(CHANNEL, s, sig), vm.addr(ALICE_KEY), "signer");
    }

    function test_channelStateDigest_bindsChannelAndChain() public {
        ChannelState memory s = _state(7, 1 ether);
        bytes32 d = harness.channelStateDigest(CHANNEL, s);
        assertTrue(d != harness.channelStateDigest(address(0xBEEF), s), "channel not bound");
        vm.chainId(999);
        assertTrue(d != harness.channelStateDigest(CHANNEL, s), "chain not bound");
    }

    function test_recoverChannelStateSigner_revertsOnHighS() public {
        ChannelState memory s = _state(7, 1 ether);
        (uint8 v, bytes32 r, bytes32 sLow) = vm.sign(ALICE_KEY, harness.channelStateDigest(CHANNEL, s));
        bytes32 sHigh = bytes32(SECP256K1_N - uint256(sLow));
        uint8 vFlipped = v == 27 ? 28 : 27;
        vm.expectRevert(abi.encodeWithSelector(ECDSA.ECDSAInvalidSignatureS.selector, sHigh));
        harness.recoverChannelStateSigner(CHANNEL, s, abi.encodePacked(r, sHigh, vFlipped));
    }

    function testFuzz_channelStateDigest_changesWithEveryBalance(uint256 balanceA, uint256 balanceB) public view {
        vm.assume(balanceA != balanceB);
        assertTrue(
            harness.channelStateDigest(CHANNEL, _state(1, balanceA)) !=
                harness.channelStateDigest(CHANNEL, _state(1, balanceB)),
            "distinct balances must hash apart"
        );
    }
}
