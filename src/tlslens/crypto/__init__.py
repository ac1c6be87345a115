"""tlslens.crypto"""
