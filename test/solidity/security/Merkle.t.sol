// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {IAdjudicator} from "../../../contracts/interfaces/IAdjudicator.sol";
import {ChannelState} from "../../../contracts/types/ChannelTypes.sol";
import {Transfer} from "../../../contracts/types/TransferTypes.sol";
import {SecurityBase} from "./SecurityBase.sol";

/// @title Merkle-proof attacks
/// @notice The disputed state commits to four transfers; attackers try to prove a transfer it does not contain.
contract SecurityMerkleTest is SecurityBase {
    uint256 internal constant DEP = 10 ether;
    uint256 internal constant AMOUNT = 1 ether;
    bytes32 internal constant PREIMAGE = keccak256("merkle preimage");

    Transfer[4] internal transfers;
    bytes32[] internal leaves;
    bytes32 internal root;

    function setUp() public override {
        super.setUp();
        _depositAliceEth(DEP);
        _depositBobEth(DEP);
        for (uint256 i = 0; i < 4; ++i) {
            (address from, address to) = i % 2 == 0 ? (alice, bob) : (bob, alice);
            transfers[i] = _hashlockTransfer(AMOUNT, from, to, PREIMAGE, START + 30 days, 2 days, bytes32(i));
            leaves.push(_leaf(transfers[i]));
        }
        root = _root(leaves);
        _disputeToDefund(_s());
    }

    /// @dev The disputed state: 2 ETH locked from each side in the four transfers.
    function _s() internal view returns (ChannelState memory) {
        return _stateWithRoot(5, root, _asset(ETH, DEP - 2 ether, DEP - 2 ether, DEP, DEP, 1));
    }

    function _t(uint256 i) internal view returns (Transfer memory) {
        return transfers[i];
    }

    /// @dev Attempts to dispute `t` with `proof`, expecting `err` and no effect at all.
    function _disputeTransferFails(Transfer memory t, bytes32[] memory proof, bytes memory err) internal {
        ChannelState memory s = _s();
        bytes32 id = _id(t);
        Snap memory snap = _snap();
        vm.expectRevert(err);
        channel.disputeTransfer(s, t, proof);
        _assertUnchanged(snap);
        assertEq(uint256(channel.transferRecord(id).settleDeadline), 0, "transfer recorded");
    }

    function _badProof(Transfer memory t, bytes32[] memory proof) internal {
        _disputeTransferFails(t, proof, abi.encodeWithSelector(IAdjudicator.InvalidMerkleProof.selector, _id(t)));
    }

    function test_merkle_validProofIsAccepted() public {
        channel.disputeTransfer(_s(), _t(2), _proof(leaves, 2));
        assertEq(uint256(channel.transferRecord(_id(_t(2))).settleDeadline), block.timestamp + 2 days, "deadline");
    }

    function test_merkle_forgedProofFails() public {
        bytes32[] memory proof = _proof(leaves, 0);
        proof[1] = keccak256("forged sibling");
        _badProof(_t(0), proof);
    }

    function test_merkle_siblingSwappedForAnotherLeafFails() public {
        bytes32[] memory proof = _proof(leaves, 0);
        proof[0] = leaves[2]; // a real leaf, in the wrong place
        _badProof(_t(0), proof);
    }

    function test_merkle_shortenedProofFails() public {
        bytes32[] memory full = _proof(leaves, 0);
        _badProof(_t(0), _one(full[0]));
    }

    function test_merkle_emptyProofFails() public {
        _badProof(_t(0), _noProof());
    }

    function test_merkle_lengthenedProofFails() public {
        bytes32[] memory full = _proof(leaves, 0);
        bytes32[] memory longer = new bytes32[](3);
        longer[0] = full[0];
        longer[1] = full[1];
        longer[2] = keccak256("extra level");
        _badProof(_t(0), longer);
    }

    function test_merkle_innerNodePresentedAsLeafFails() public {
        // N01 = hash(l0, l1) is a genuine inner node: the proof [N23] takes it to the root.
        bytes32 n23 = _hashPair(leaves[2], leaves[3]);
        assertTrue(MerkleProof.verify(_one(n23), root, _hashPair(leaves[0], leaves[1])), "N01 is not a node");
        // A transfer can only ever be a leaf (keccak of its 32-byte id), never an inner node (keccak of 64 bytes):
        // presenting t0 or t1 at N01's height fails.
        _badProof(_t(0), _one(n23));
        _badProof(_t(1), _one(n23));
    }

    function test_merkle_rootPresentedWithEmptyProofFails() public {
        // Only a one-transfer state has its leaf as root; here the root is an inner node.
        _badProof(_t(3), _noProof());
    }

    function test_merkle_leafFromAnotherStateRootFails() public {
        // t4 was in an older co-signed state (its own root), not in the disputed one; its proof is valid there.
        Transfer memory t4 = _hashlockTransfer(AMOUNT, alice, bob, PREIMAGE, START + 30 days, 2 days, bytes32("4"));
        bytes32[] memory oldLeaves = new bytes32[](2);
        oldLeaves[0] = leaves[0];
        oldLeaves[1] = _leaf(t4);
        bytes32[] memory oldProof = _proof(oldLeaves, 1);
        assertTrue(MerkleProof.verify(oldProof, _root(oldLeaves), _leaf(t4)), "valid in its own tree");
        _badProof(t4, oldProof);
    }

    function test_merkle_tamperedTransferFieldFails() public {
        Transfer memory t = _t(0);
        t.amount = 5 ether; // same proof, richer transfer
        _badProof(t, _proof(leaves, 0));
    }

    function test_merkle_transferOfAnotherChannelFails() public {
        // Same parties, another channel: even if its leaf were in this root, this channel refuses it.
        Transfer memory t = _t(0);
        t.channel = factory.channelAddress(alice, bob, keccak256("other"));
        _disputeTransferFails(
            t,
            _proof(leaves, 0),
            abi.encodeWithSelector(IAdjudicator.InvalidTransfer.selector, _id(t))
        );
    }

    function test_merkle_transferOfAnotherChannelInTheRootFails() public {
        // The parties signed a root containing a transfer that names another channel: it still cannot be disputed
        // here, so the same transfer can never be settled in two channels.
        Transfer memory foreignT = _t(0);
        foreignT.channel = factory.channelAddress(alice, bob, keccak256("other"));
        ChannelState memory s = _stateWithRoot(6, _leaf(foreignT), _asset(ETH, DEP - 1 ether, DEP, DEP, DEP, 1));
        _warpPastDefundPhase();
        _disputeToDefund(s);
        bytes32 id = _id(foreignT);
        Snap memory snap = _snap();
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.InvalidTransfer.selector, id));
        channel.disputeTransfer(s, foreignT, _noProof());
        _assertUnchanged(snap);
    }

    function test_merkle_transferWithAStrangerFails() public {
        Transfer memory t = _t(0);
        t.responder = eve;
        _disputeTransferFails(t, _noProof(), abi.encodeWithSelector(IAdjudicator.InvalidTransfer.selector, _id(t)));
    }

    function test_merkle_transferToItselfFails() public {
        Transfer memory t = _t(0);
        t.responder = alice; // alice -> alice
        _disputeTransferFails(t, _noProof(), abi.encodeWithSelector(IAdjudicator.InvalidTransfer.selector, _id(t)));
    }

    function test_merkle_proofAgainstAStateNotDisputedFails() public {
        // A state with a root of the attacker's choosing that was never disputed.
        Transfer memory t = _t(0);
        ChannelState memory fake = _stateWithRoot(5, _leaf(t), _asset(ETH, DEP - 1 ether, DEP, DEP, DEP, 1));
        bytes32 fakeHash = hasher.hashChannelState(fake);
        bytes32 disputed = channel.disputedStateHash();
        Snap memory snap = _snap();
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.StateMismatch.selector, fakeHash, disputed));
        channel.disputeTransfer(fake, t, _noProof());
        _assertUnchanged(snap);
    }
}
